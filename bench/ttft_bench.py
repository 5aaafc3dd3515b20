"""Time to first token of streamed completions: hfgate builds side by side, and llama-server, interleaved.

Each ``--hfgate NAME=SRC`` and each ``--engine`` start ``hfgate serve --no-preload`` from the sources in
``SRC`` (``PYTHONPATH``; e.g. a ``git archive`` of ``main`` against this checkout's ``src``) in a process
of its own, with a SmolLM2 endpoint on that engine (``bench/support/pinned_endpoint.py``), so every build serves
the same engine and no ``auto`` measurement runs beside the benchmark. All share one data directory
(``--data``; ONNX exports are made once there).
ggml-org's ``llama-server`` (the Q4_1 GGUF, as ``tests/engines`` start it) joins where it is built
(``make engines ENGINES=llamacpp``), and is skipped with the reason otherwise. Then ``--requests``
rounds: in each, every system answers one streamed greedy ``/v1/completions`` of a short prompt, in turn,
on an otherwise idle server; the table gives each system's median and quartiles of the time from
sending the request to the first chunk with text, and the greedy text (which must not differ between
hfgate builds).

Run: ``flock /tmp/hfgate-bench.lock env PYTHONPATH=src .venv/bin/python bench/ttft_bench.py
--hfgate before=/tmp/main/src --hfgate after=src [--requests 30]``
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
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.engine_servers import SMOLLM2, launch, missing_reason
from tests.support.live_server import free_port

from support import pinned_endpoint
from support.settled import wait_up

PROMPT = "Explain what a database index is."


@contextmanager
def hfgate(src: Path, *, data: Path, engine: str) -> Iterator[tuple[str, str]]:
    """``hfgate serve`` running the sources in ``src``: its base url and the endpoint on ``engine``."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(src.resolve()), "HFGATE_DATA_DIR": str(data), "HFGATE_LOG_LEVEL": "warning"}
    command = [str(Path(sys.executable).parent / "hfgate"), "serve", "--no-preload", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_up(url + "/health", process, seconds=900)
        yield url, pinned_endpoint.create(url, engine)
    finally:
        process.terminate()
        process.wait(timeout=60)


async def first_token(http: httpx.AsyncClient, url: str, model: str, new: int) -> tuple[float, str]:
    """Seconds to the first chunk with text, and the whole greedy text."""
    body = {"model": model, "prompt": PROMPT, "max_tokens": new, "temperature": 0, "stream": True}
    began, first, pieces = time.perf_counter(), 0.0, []
    async with http.stream("POST", url + "/v1/completions", json=body) as answer:
        answer.raise_for_status()
        async for line in answer.aiter_lines():
            if not line.startswith("data: {"):
                continue
            text = "".join(c.get("text") or "" for c in json.loads(line[6:]).get("choices", []))
            if text and not first:
                first = time.perf_counter() - began
            pieces.append(text)
    return first, "".join(pieces)


async def rounds(systems: dict[str, tuple[str, str]], *, count: int, new: int) -> dict[str, list[tuple[float, str]]]:
    results: dict[str, list[tuple[float, str]]] = {name: [] for name in systems}
    async with httpx.AsyncClient(timeout=600) as http:
        for url, model in systems.values():  # warm-up: models loaded, first-call paths taken
            for _ in range(3):
                await first_token(http, url, model, new)
        for _ in range(count):
            for name, (url, model) in systems.items():
                results[name].append(await first_token(http, url, model, new))
    return results


def report(results: dict[str, list[tuple[float, str]]]) -> None:
    print("\n| system | TTFT median ms | p25 | p75 | requests | text |\n|---|---:|---:|---:|---:|---|")
    for name, runs in results.items():
        ms = sorted(first * 1000 for first, _ in runs)
        q1, median, q3 = statistics.quantiles(ms, n=4)
        texts = {text for _, text in runs}
        shown = next(iter(texts)) if len(texts) == 1 else f"{len(texts)} different texts"
        print(f"| {name} | {median:.1f} | {q1:.1f} | {q3:.1f} | {len(ms)} | {shown!r} |")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hfgate", action="append", default=[], metavar="NAME=SRC", help="an hfgate build")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--new-tokens", type=int, default=8)
    parser.add_argument("--engine", action="append", choices=sorted(pinned_endpoint.ENGINES), help="(repeatable)")
    parser.add_argument("--data", type=Path, help="hfgate's data directory (default: a new temporary one)")
    args = parser.parse_args()
    builds = dict(item.split("=", 1) for item in args.hfgate) or {"hfgate": "src"}
    engines = args.engine or ["transformers-fp32"]
    data = args.data or Path(tempfile.mkdtemp(prefix="hfgate-ttft-bench-"))
    print(f"{uptime()}\nprompt {PROMPT!r}, {args.new_tokens} new tokens, greedy, streamed /v1/completions")

    with ExitStack() as stack:
        systems = {
            f"hfgate {name}, {engine}": stack.enter_context(hfgate(Path(src), data=data, engine=engine))
            for engine in engines
            for name, src in builds.items()
        }
        if (reason := missing_reason("llamacpp-chat")) is None:
            server = launch("llamacpp-chat")
            stack.callback(server.stop)
            systems["llama-server (Q4_1)"] = (server.ready(), SMOLLM2)
        else:
            print(f"llama-server skipped: {reason}")
        report(asyncio.run(rounds(systems, count=args.requests, new=args.new_tokens)))
    print(uptime())


if __name__ == "__main__":
    main()
