"""The ONNX generation engine with ONNX Runtime's intra-op spinning on (as hfgate ships it) and off.

The embedding engines' sessions switch spinning off (``local/embedding/onnx_session.py``: idle threads
spun after each pass and slowed what ran next); the generation decoder keeps ORT's default. This
measures that choice: SmolLM2-135M-Instruct exported at fp32, hfgate's scheduler on its own compute
thread, greedy, ``--new-tokens`` per answer, one stream and eight streams, each alone and beside a
side load on the event loop (a coroutine packing eight 384-float vectors as JSON every millisecond, as
an embedding face answering meanwhile would). Both sessions are loaded once and swapped between runs;
rounds alternate which goes first; medians.

For each: generated tokens/s, CPU seconds of this process per 1,000 tokens, and the side load's
iterations per second (how much the event loop got done meanwhile).

Run: ``.venv/bin/python bench/onnx_spinning_bench.py [--rounds 5] [--new-tokens 64]`` (the first run
exports the model under ``--cache``, ~1 min).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

import onnxruntime
import orjson

from hfgate.local.cache import Compute
from hfgate.local.catalog import resolve_model
from hfgate.local.generation.engine import TextGenerator
from hfgate.local.generation.gguf_cache import ensure_converted
from hfgate.local.generation.loading import LanguageModel, load_onnx_model
from hfgate.local.generation.params import DecodingParams

QUESTIONS = ["What is the capital of France?", "Write a haiku about the sea.", "Who wrote Hamlet?",
             "Describe a cat to someone who has never seen one.", "Explain rain.", "Name three colours.",
             "What is 2+2?", "Tell me a joke."]  # fmt: skip
VECTOR = [0.123456789] * 384


def session(path: Path, *, spinning: bool) -> Any:
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = 0
    options.inter_op_num_threads = 1
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


async def run(
    lm: LanguageModel, prompts: list[list[int]], params: DecodingParams, *, streams: int, side: bool
) -> tuple[float, float, float]:
    """Tokens/s, CPU seconds per 1,000 tokens and the side load's iterations/s of ``streams`` answers."""
    compute = Compute()
    engine = TextGenerator(lm, compute=compute, max_batch_size=8)
    done, side_ops = False, 0

    async def side_load() -> None:
        nonlocal side_ops
        while not done:
            orjson.dumps([VECTOR] * 8)
            side_ops += 1
            await asyncio.sleep(0.001)

    task = asyncio.create_task(side_load()) if side else None
    cpu, wall = time.process_time(), time.perf_counter()
    answers = await asyncio.gather(*(engine.complete(prompts[i % len(prompts)], params) for i in range(streams)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    done = True
    if task is not None:
        await task
    await engine.aclose()
    compute.close()
    tokens = sum(a.usage.completion_tokens for a in answers)
    return tokens / wall, cpu / tokens * 1000, side_ops / wall


async def main(args: argparse.Namespace) -> None:
    converted = ensure_converted(resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct"), models_dir=args.cache)
    lm = load_onnx_model(converted, precision="fp32", cache_dir=args.cache)
    path = next(args.cache.rglob("*fp32/model.onnx"))
    sessions = {"spinning": session(path, spinning=True), "no spinning": session(path, spinning=False)}
    prompts = [
        lm.tokenizer.apply_chat_template([{"role": "user", "content": q}], add_generation_prompt=True, tokenize=True)
        for q in QUESTIONS
    ]
    prompts = [list(p["input_ids"]) if hasattr(p, "keys") else list(p) for p in prompts]
    params = DecodingParams(max_new_tokens=args.new_tokens)
    results: dict[tuple[str, int, bool], list[tuple[float, float, float]]] = {}
    for round_ in range(args.rounds):
        order = list(sessions) if round_ % 2 == 0 else list(reversed(sessions))
        for name in order:
            lm.model.session = sessions[name]
            for streams in (1, 8):
                for side in (False, True):
                    results.setdefault((name, streams, side), []).append(
                        await run(lm, prompts, params, streams=streams, side=side)
                    )
    print("| session | streams | side load | tokens/s | CPU s / 1k tokens | side load iterations/s |")
    print("|---|---:|---|---:|---:|---:|")
    for (name, streams, side), runs in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])):
        speed, cpu, ops = (statistics.median(r[i] for r in runs) for i in range(3))
        print(f"| {name} | {streams} | {'yes' if side else 'no'} | {speed:.1f} | {cpu:.2f} | {ops:.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/hfgate-onnx-spinning"))
    asyncio.run(main(parser.parse_args()))
