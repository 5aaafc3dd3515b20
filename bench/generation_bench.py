"""Local generation: hfgate's engine vs transformers ``generate`` vs llama.cpp, SmolLM2-135M-Instruct GGUF.

Systems, measured interleaved in each round on the same 8 chat prompts, greedy, ``--new-tokens`` new
tokens each (end-of-sequence ignored so every system writes the same number), medians over rounds:

- ``hf-fp32`` / ``hf-bf16``: transformers ``model.generate`` on the GGUF converted by hfgate, one
  prompt, then the 8 prompts as one left-padded batch: the baselines.
- ``hfgate-fp32`` / ``hfgate-bf16``: hfgate's engine in this process (continuous batching scheduler,
  each step on the compute thread): one stream, then 8 streams submitted together.
- ``hfgate-llama.cpp``: hfgate's engine with its optional llama.cpp decode batch (same scheduler).
- ``hfgate-onnx`` / ``hfgate-onnx-int8`` / ``hfgate-onnx-int4``: hfgate's ONNX Runtime engines (same
  scheduler), exported once by onnxruntime-genai's builder: fp32 (exact), int8 weights and activations
  (dynamic quantization, VNNI), int4 weight blocks computed in int8.
  Skipped without onnxruntime-genai (part of the local extra).
- ``ctranslate2-float32`` / ``ctranslate2-int8``: CTranslate2's Generator on the same converted weights
  (converted once beside them), one prompt streamed with ``generate_tokens``, 8 prompts as one
  ``generate_batch``. Skipped when ctranslate2 is not installed.
- ``llama.cpp``: llama-cpp-python's low-level API on the same GGUF file (Q4_1 weights), one sequence,
  then 8 sequences decoded in one batch (``llama_batch`` with 8 sequence ids), 2 threads, greedy argmax.
  Skipped when llama-cpp-python is not installed.

For each: tokens/s of one stream, aggregate tokens/s of 8 streams, time to first token (one stream;
for 8 streams the median over streams), CPU seconds per 1000 generated tokens (this process), and
whether each stream's greedy tokens equal transformers fp32 on that prompt alone (and for how
many first tokens they agree). ``--memory`` also reports the resident memory of a fresh
process with both default models loaded through the ``local`` service, once per generation engine
(``--memory-engines``). Before the table: the machine's fp32 matmul throughput (torch, a large square
product), the physical limit the engines' FLOPs are compared with.
Other engineers load this machine too: compare ratios within one run, not absolute figures.

Run: ``.venv/bin/python bench/generation_bench.py [--rounds 3] [--new-tokens 64] [--memory]
[--memory-engines transformers,onnx,onnx-int8] [--skip-memory-run]`` (``--skip-memory-run``: only the
limits and ``--memory``, no timing rounds)
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch
import transformers

from hfgate.config import Settings
from hfgate.errors import BadRequestError
from hfgate.local.cache import Compute
from hfgate.local.catalog import resolve_model
from hfgate.local.generation.engine import TextGenerator
from hfgate.local.generation.gguf_cache import ensure_converted
from hfgate.local.generation.loading import load_language_model, load_llama_cpp_model, load_onnx_model
from hfgate.local.generation.params import DecodingParams

QUESTIONS = [
    "What is the capital of France?",
    "Write a haiku about the sea.",
    "List three primary colors.",
    "Who wrote Hamlet?",
    "Explain photosynthesis in one sentence.",
    "Give me a tip for learning Python.",
    "What is 12 times 12?",
    "Describe a cat to someone who has never seen one.",
]


@dataclass(slots=True)
class Run:
    """One measurement: wall seconds, CPU seconds, time to first token, tokens written."""

    seconds: float
    cpu: float
    ttft: float | None
    tokens: list[list[int]]

    @property
    def count(self) -> int:
        return sum(len(t) for t in self.tokens)


@dataclass(slots=True)
class Figures:
    one: list[Run] = field(default_factory=list)
    eight: list[Run] = field(default_factory=list)


def timed(fn: Callable[[], tuple[list[list[int]], float | None]]) -> Run:
    wall, cpu = time.perf_counter(), time.process_time()
    tokens, ttft = fn()
    return Run(time.perf_counter() - wall, time.process_time() - cpu, ttft, tokens)


# -- transformers generate ------------------------------------------------------------------------


def hf_generate(model: Any, tokenizer: Any, prompts: list[list[int]], new: int) -> tuple[list[list[int]], None]:
    width = max(len(p) for p in prompts)
    ids = torch.tensor([[tokenizer.pad_token_id] * (width - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    with torch.inference_mode():
        out = model.generate(
            input_ids=ids, attention_mask=mask, max_new_tokens=new, min_new_tokens=new, do_sample=False
        )
    return [row[width:].tolist() for row in out], None


# -- hfgate engine --------------------------------------------------------------------------------


def hfgate_generate(generator: TextGenerator, prompts: list[list[int]], new: int) -> tuple[list[list[int]], float]:
    async def one(prompt: list[int], started: float) -> tuple[list[int], float]:
        tokens: list[int] = []
        first = 0.0
        async for delta in generator.stream(prompt, DecodingParams(max_new_tokens=new)):
            first = first or time.perf_counter() - started
            tokens.append(int(delta.token_id or 0))
        return tokens, first

    async def run() -> list[tuple[list[int], float]]:
        started = time.perf_counter()
        return await asyncio.gather(*(one(p, started) for p in prompts))

    results = asyncio.run(run())
    return [r[0] for r in results], statistics.median(r[1] for r in results)


# -- llama.cpp ------------------------------------------------------------------------------------


class LlamaCpp:
    """Batched greedy decoding with llama.cpp's C API (what llama-server does for parallel slots)."""

    def __init__(self, gguf: Path, *, sequences: int, context: int) -> None:
        import llama_cpp

        self.api = llama_cpp
        llama_cpp.llama_backend_init()
        self.model = llama_cpp.llama_model_load_from_file(str(gguf).encode(), llama_cpp.llama_model_default_params())
        params = llama_cpp.llama_context_default_params()
        params.n_ctx, params.n_batch, params.n_seq_max = context, context, sequences
        params.n_threads = params.n_threads_batch = os.cpu_count() or 2
        self.ctx = llama_cpp.llama_init_from_model(self.model, params)
        self.vocab = llama_cpp.llama_n_vocab(llama_cpp.llama_model_get_vocab(self.model))
        self.batch = llama_cpp.llama_batch_init(context, 0, sequences)

    def generate(self, prompts: list[list[int]], new: int) -> tuple[list[list[int]], float]:
        api = self.api
        api.llama_memory_clear(api.llama_get_memory(self.ctx), True)
        started = time.perf_counter()
        outputs: list[list[int]] = [[] for _ in prompts]
        firsts: list[float] = []
        for seq, prompt in enumerate(prompts):  # prefill one by one, as requests arrive
            self._fill([(t, i, seq, i == len(prompt) - 1) for i, t in enumerate(prompt)])
            outputs[seq].append(self._argmax(len(prompt) - 1))
            firsts.append(time.perf_counter() - started)
        for step in range(new - 1):
            pairs = enumerate(zip(prompts, outputs, strict=True))
            self._fill([(out[-1], len(p) + step, s, True) for s, (p, out) in pairs])
            for s, out in enumerate(outputs):
                out.append(self._argmax(s))
        return outputs, statistics.median(firsts)

    def _fill(self, items: list[tuple[int, int, int, bool]]) -> None:
        batch = self.batch
        batch.n_tokens = len(items)
        for i, (token, pos, seq, logits) in enumerate(items):
            batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, pos, 1
            batch.seq_id[i][0], batch.logits[i] = seq, logits
        if self.api.llama_decode(self.ctx, batch) != 0:
            raise RuntimeError("llama_decode failed")

    def _argmax(self, index: int) -> int:
        import numpy as np

        pointer = self.api.llama_get_logits_ith(self.ctx, index)
        row = np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)), shape=(self.vocab,))
        return int(row.argmax())


# -- CTranslate2 ----------------------------------------------------------------------------------


class CTranslate2:
    """CTranslate2's Generator on the converted checkpoint (``pip install ctranslate2``, a prebuilt wheel).

    Converted offline from the same weights transformers loads. Its Python API decodes a batch fixed
    at call time (``generate_batch``) or one prompt token by token (``generate_tokens``): there is no
    step-level call to let requests join a running batch, so hfgate's continuous batching cannot drive
    it. Measured here as the ceiling it would give: one stream streamed, 8 prompts as one batch.
    """

    def __init__(self, converted: Path, tokenizer: Any, *, compute_type: str) -> None:
        import ctranslate2
        from ctranslate2.converters import TransformersConverter

        target = converted.with_name(converted.name + "-ct2")
        if not (target / "model.bin").is_file():
            TransformersConverter(str(converted)).convert(str(target), quantization="float32", force=True)
        threads = os.cpu_count() or 2
        self.generator = ctranslate2.Generator(
            str(target), device="cpu", compute_type=compute_type, intra_threads=threads
        )
        self.tokenizer = tokenizer

    def generate(self, prompts: list[list[int]], new: int) -> tuple[list[list[int]], float | None]:
        tokens = [self.tokenizer.convert_ids_to_tokens(p) for p in prompts]
        started = time.perf_counter()
        if len(prompts) == 1:
            out: list[int] = []
            first = None
            for step in self.generator.generate_tokens(tokens[0], max_length=new, min_length=new, sampling_topk=1):
                first = first or time.perf_counter() - started
                out.append(step.token_id)
            return [out], first
        results = self.generator.generate_batch(
            tokens, max_length=new, min_length=new, sampling_topk=1, include_prompt_in_result=False
        )
        return [r.sequences_ids[0] for r in results], None


# -- the run --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--memory", action="store_true", help="also measure RSS with both default models")
    parser.add_argument("--memory-engines", default="transformers,onnx,onnx-int8,onnx-int4,llama.cpp")
    parser.add_argument("--skip-memory-run", action="store_true", help="only --memory, no timing rounds")
    args = parser.parse_args()
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    from hfgate.local.cpu import read_cpu

    print(f"{load}\nCPU: {read_cpu().describe()}, {os.cpu_count()} logical CPUs", flush=True)
    torch.set_num_threads(os.cpu_count() or 2)
    print(f"fp32 matmul (torch, 2048x2048): {matmul_gflops():.0f} GFLOP/s; "
          f"memory read (torch sum of 512 MiB): {read_gbps():.1f} GB/s", flush=True)  # fmt: skip
    if args.skip_memory_run:
        report_memory([e for e in args.memory_engines.split(",") if e])
        return
    location = resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct")
    converted = ensure_converted(location, models_dir=Settings().data_dir / "models")
    tokenizer = transformers.AutoTokenizer.from_pretrained(converted)
    prompts = [
        tokenizer(tokenizer.apply_chat_template([{"role": "user", "content": q}], tokenize=False,
                  add_generation_prompt=True), add_special_tokens=False)["input_ids"]
        for q in QUESTIONS
    ]  # fmt: skip
    systems = build_systems(converted, location, tokenizer, args.new_tokens, prompts)
    figures = {name: Figures() for name in systems}
    reference = exact_reference(converted, prompts, args.new_tokens)
    for round_number in range(args.rounds):
        for name, run in systems.items():
            figures[name].one.append(timed(lambda run=run: run(prompts[:1])))
            figures[name].eight.append(timed(lambda run=run: run(prompts)))
        print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)
    report(figures, reference, args)
    if args.memory:
        report_memory(args.memory_engines.split(","))


def report_memory(engines: list[str]) -> None:
    print("\nResident memory of a fresh process, MiniLM and SmolLM2 loaded through the local service:")
    for engine in engines:
        print(f"- generation engine {engine}: {measure_memory(engine)}", flush=True)


def exact_reference(converted: Path, prompts: list[list[int]], new: int) -> list[list[int]]:
    """transformers fp32 greedy on each prompt alone, up to its end-of-sequence token.

    Every system is compared on these tokens only: past the end of sequence, ``min_new_tokens`` makes
    ``generate`` pick the second-best token while the other systems decode the end-of-sequence token
    on, so their outputs differ there by construction.
    """
    model = transformers.AutoModelForCausalLM.from_pretrained(converted, dtype=torch.float32).eval()
    reference = []
    for prompt in prompts:
        with torch.inference_mode():
            out = model.generate(input_ids=torch.tensor([prompt]), max_new_tokens=new, do_sample=False)
        tokens = out[0, len(prompt) :].tolist()
        reference.append(tokens[:-1] if tokens[-1] == model.generation_config.eos_token_id else tokens)
    return reference


def build_systems(
    converted: Path, location: Any, tokenizer: Any, new: int, prompts: list[list[int]]
) -> dict[str, Callable[[list[list[int]]], tuple[list[list[int]], float | None]]]:
    systems: dict[str, Callable[[list[list[int]]], tuple[list[list[int]], float | None]]] = {}
    compute = Compute()
    for dtype in ("float32", "bfloat16"):
        model = transformers.AutoModelForCausalLM.from_pretrained(converted, dtype=getattr(torch, dtype)).eval()
        systems[f"hf-{dtype}"] = lambda p, m=model: hf_generate(m, tokenizer, p, new)
        lm = load_language_model(converted, task="text-generation", dtype=dtype)
        lm.eos_ids = frozenset()  # write every token, as the other systems do
        generator = TextGenerator(lm, compute=compute)
        systems[f"hfgate-{dtype}"] = lambda p, g=generator: hfgate_generate(g, p, new)
    try:
        for compute_type in ("float32", "int8"):
            ct2 = CTranslate2(converted, tokenizer, compute_type=compute_type)
            systems[f"ctranslate2-{compute_type}"] = lambda p, c=ct2: c.generate(p, new)
    except ImportError:
        print("ctranslate2 is not installed: skipped", file=sys.stderr)
    try:
        context = len(prompts) * (max(len(p) for p in prompts) + new + 8)
        llama = LlamaCpp(location.path / location.gguf_file, sequences=len(prompts), context=context)
        systems["llama.cpp"] = lambda p: llama.generate(p, new)
        lm = load_llama_cpp_model(location.path / location.gguf_file, tokenizer_path=converted, max_rows=16)
        lm.eos_ids = frozenset()
        generator = TextGenerator(lm, compute=compute)
        systems["hfgate-llama.cpp"] = lambda p, g=generator: hfgate_generate(g, p, new)
    except ImportError:
        print("llama-cpp-python is not installed: llama.cpp skipped", file=sys.stderr)
    for engine, precision in (("onnx", "fp32"), ("onnx-int8", "int8"), ("onnx-int4", "int4")):
        try:
            lm = load_onnx_model(converted, precision=precision, cache_dir=converted.parent)
        except BadRequestError as exc:  # onnxruntime-genai is missing
            print(f"{engine} skipped: {exc}", file=sys.stderr)
            break
        lm.eos_ids = frozenset()
        generator = TextGenerator(lm, compute=compute)
        systems[f"hfgate-{engine}"] = lambda p, g=generator: hfgate_generate(g, p, new)
    return systems


def read_gbps(repeats: int = 5) -> float:
    """GB/s of reading 512 MiB of float32 from memory on every core (a stream's weights, once per token)."""
    data = torch.ones(128 << 20)
    data.sum()
    started = time.perf_counter()
    for _ in range(repeats):
        data.sum()
    return 4 * data.numel() * repeats / (time.perf_counter() - started) / 1e9


def matmul_gflops(size: int = 2048, repeats: int = 5) -> float:
    """fp32 GFLOP/s of torch on a large square product (every core): the machine's practical fp32 peak."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    started = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b)
    return 2 * size**3 * repeats / (time.perf_counter() - started) / 1e9


def report(figures: dict[str, Figures], reference: list[list[int]], args: argparse.Namespace) -> None:
    print(f"\nSmolLM2-135M-Instruct, {args.new_tokens} new tokens, greedy, median of {args.rounds} rounds")
    print("| system | 1 stream tok/s | 8 streams tok/s | 8 / 1 | TTFT 1 (ms) | TTFT 8 (ms) "
          "| CPU s / 1k tok (8) | 8 streams = fp32 alone (to EOS) | same first tokens (median) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|")
    for name, fig in figures.items():
        one = statistics.median(r.count / r.seconds for r in fig.one)
        eight = statistics.median(r.count / r.seconds for r in fig.eight)
        ttft = [statistics.median(r.ttft for r in runs if r.ttft is not None) if runs[0].ttft else None
                for runs in (fig.one, fig.eight)]  # fmt: skip
        cpu = statistics.median(1000 * r.cpu / r.count for r in fig.eight)
        pairs = list(zip(fig.eight[-1].tokens, reference, strict=True))
        same = sum(tokens[: len(ref)] == ref for tokens, ref in pairs)
        prefix = statistics.median(_common_prefix(tokens, ref) for tokens, ref in pairs)
        shown = ["-" if t is None else f"{1000 * t:.0f}" for t in ttft]
        print(f"| {name} | {one:.1f} | {eight:.1f} | {eight / one:.2f} | {shown[0]} | {shown[1]} "
              f"| {cpu:.1f} | {same}/8 | {prefix:.0f} |")  # fmt: skip


def _common_prefix(a: list[int], b: list[int]) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def measure_memory(engine: str) -> str:
    """RSS of a fresh process that loads both default models through the ``local`` service."""
    code = """
import asyncio, os
from pathlib import Path
from hfgate.config import Settings
from hfgate.errors import BadRequestError
from hfgate.process.runtime import new_context
from hfgate.services.local import LocalService
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import TaskType, EmbedRequest, GenerateRequest, GenerationParams
async def main():
    ctx = new_context(Settings(data_dir=Path(os.environ["BENCH_DATA"])))
    service = LocalService(ctx)
    embed = Endpoint(inference_id="e", task_type=TaskType.TEXT_EMBEDDING, service="local",
                     service_settings={"model": "sentence-transformers/all-MiniLM-L6-v2"})
    chat = Endpoint(inference_id="c", task_type=TaskType.COMPLETION, service="local",
                    service_settings={"model": "HuggingFaceTB/SmolLM2-135M-Instruct",
                                      "engine": os.environ["BENCH_ENGINE"]})
    await service.open(embed).embed(EmbedRequest(texts=("hello",)))
    await service.open(chat).generate(GenerateRequest(prompt="Hi", params=GenerationParams(max_new_tokens=8)))
    status = Path("/proc/self/status").read_text().splitlines()
    print(" ".join(line.split(":")[0] + "=" + line.split(":")[1].strip() for line in status
                   if line.startswith(("VmRSS", "VmHWM"))))
    ctx.close()
asyncio.run(main())
"""
    with tempfile.TemporaryDirectory() as data:
        # the converted GGUF cache of the default data dir is reused, as after a restart
        os.symlink(Settings().data_dir / "models", Path(data) / "models")
        env = {**os.environ, "BENCH_DATA": data, "BENCH_ENGINE": engine}
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        return "failed: " + (done.stderr.strip().splitlines() or ["no output"])[-1]
    return done.stdout.strip().splitlines()[-1]


if __name__ == "__main__":
    main()
