"""Where a running hfgate spends its CPU per embedding request: per thread, read from /proc.

Starts ``hfgate serve`` (one worker, no preload, the embedding cache off, a temporary data dir), sends
``--clients`` x ``--request-size`` texts of the short and long corpora to ``/v1/embeddings`` for
``--rounds`` rounds, and prints each server thread's CPU time per request. The main thread runs the
event loop (HTTP, JSON, routing, the orchestrator, tokenizing, response building); the others are the
compute thread and the engine's own threads (the forward pass). CPU time per request is steadier
than texts/s on a shared machine. Add ``py-spy record -p PID -f raw`` and ``profile_breakdown.py`` for
the event loop's parts.

Run: ``.venv/bin/python bench/embed_cpu_breakdown.py [--corpus short] [--rounds 3] [--texts 512]
[--choices-dir DIR] [--compare SRC]`` (``--choices-dir`` reuses the engine measurement of an earlier
run; ``--compare`` also serves another tree's package, e.g. ``git archive main src | tar -x -C
/tmp/before`` then ``--compare /tmp/before/src``, every server once per round, in turn).
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from bench.corpora import corpora_dir
from tests.support.live_server import free_port

MODEL = ".all-minilm-l6-v2"


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of each thread of ``pid``, by thread id (the main thread's id is ``pid``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[task.name] = (int(fields[11]) + int(fields[12])) / ticks
    return found


async def load(url: str, texts: list[str], *, clients: int, size: int, http: httpx.AsyncClient) -> float:
    starts = iter(range(0, len(texts), size))

    async def client() -> None:
        for start in starts:
            answer = await http.post(url, json={"model": MODEL, "input": texts[start : start + size]})
            answer.raise_for_status()

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return len(texts) / (time.perf_counter() - began)


def recorded(choices: Path) -> list[str]:
    """The engines the measurements in ``choices`` picked."""
    return [json.loads(record.read_text())["engine"] for record in choices.glob("*.json")]


async def warm_up(url: str, http: httpx.AsyncClient, choices: Path) -> None:
    """Until the model answers and its engine measurement is recorded (the engine then switches)."""
    while True:
        try:
            if (await http.post(url, json={"model": MODEL, "input": ["warm up"]})).status_code == 200:
                break
        except httpx.TransportError:
            pass
        await asyncio.sleep(1)
    while not recorded(choices):  # noqa: ASYNC110 (a file another process writes)
        await asyncio.sleep(2)
    await asyncio.sleep(5)
    await http.post(url, json={"model": MODEL, "input": ["warm up"]})


@dataclass
class Server:
    """One ``hfgate serve`` and what it measured."""

    name: str
    url: str
    pid: int
    speeds: dict[str, list[float]] = field(default_factory=dict)
    per_thread: dict[str, list[dict[str, float]]] = field(default_factory=dict)


async def bench(args: argparse.Namespace, servers: list[Server], choices: Path) -> None:
    corpora = {name: json.loads((corpora_dir() / f"corpus_{name}.json").read_text()) for name in args.corpus}
    texts = {name: items[: args.texts if name == "short" else args.texts // 5] for name, items in corpora.items()}
    async with httpx.AsyncClient(timeout=600, limits=httpx.Limits(max_connections=64)) as http:
        for server in servers:
            await warm_up(server.url, http, choices)
        print("engine choice:", recorded(choices), flush=True)
        for round_no in range(args.rounds):  # interleaved: every server once per round, in turn
            for corpus, items in texts.items():
                for server in servers:
                    await measure(server, corpus, items, args=args, http=http)
                    print(f"round {round_no + 1} {server.name} {corpus}: {server.speeds[corpus][-1]:.1f} texts/s")
    for server in servers:
        for corpus in texts:
            report(server, corpus)


async def measure(server: Server, corpus: str, texts: list[str], *, args: argparse.Namespace, http: Any) -> None:
    requests = -(-len(texts) // args.request_size)
    before = thread_cpu(server.pid)
    speed = await load(server.url, texts, clients=args.clients, size=args.request_size, http=http)
    after = thread_cpu(server.pid)
    server.speeds.setdefault(corpus, []).append(speed)
    cpu = {t: 1000 * (after[t] - before.get(t, 0.0)) / requests for t in after}
    server.per_thread.setdefault(corpus, []).append(cpu)


def report(server: Server, corpus: str) -> None:
    speeds, per_thread = server.speeds[corpus], server.per_thread[corpus]
    rounds = [round(s, 1) for s in speeds]
    print(f"\n{server.name}, {corpus} texts: texts/s {rounds}, median {statistics.median(speeds):.1f}")
    threads = {t for run in per_thread for t in run}
    median = {t: statistics.median(run.get(t, 0.0) for run in per_thread) for t in threads}
    total = statistics.median(sum(run.values()) for run in per_thread)
    print("| thread | CPU ms / request | share |\n|---|---:|---:|")
    for thread, ms in sorted(median.items(), key=lambda kv: -kv[1]):
        if ms >= 0.05:
            name = "main (event loop)" if thread == str(server.pid) else f"{thread} (compute or engine)"
            print(f"| {name} | {ms:.2f} | {100 * ms / total:.1f} % |")
    print(f"| total (median of the rounds' totals) | {total:.2f} | |")


@contextmanager
def serving(source: str, *, data: Path, choices: Path) -> Iterator[Server]:
    """``hfgate serve`` running the package in ``source`` (a ``src`` folder; '' for this tree's)."""
    env = {**os.environ, "HFGATE_DATA_DIR": str(data), "HFGATE_LOG_LEVEL": "warning", "HFGATE_EMBED_CACHE": "false"}
    env["HFGATE_LOCAL_ENGINE_CHOICES_DIR"] = str(choices)
    if source:
        env["PYTHONPATH"] = os.pathsep.join([source, env.get("PYTHONPATH", "")])
    port = free_port()
    command = [str(Path(sys.executable).parent / "hfgate"), "serve", "--port", str(port), "--no-preload"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        yield Server(source or "this tree", f"http://127.0.0.1:{port}/v1/embeddings", process.pid)
    finally:
        process.terminate()
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", choices=("short", "long"), action="append", help="default: both")
    parser.add_argument("--texts", type=int, default=512, help="short texts; a fifth as many long ones")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--request-size", type=int, default=8)
    parser.add_argument("--choices-dir", default="", help="engine measurements to reuse (default: a new one)")
    parser.add_argument("--compare", action="append", default=[], help="also serve the package in this src folder")
    args = parser.parse_args()
    args.corpus = args.corpus or ["short", "long"]
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(), flush=True)
    data = Path(tempfile.mkdtemp(prefix="hfgate-cpu-breakdown-"))
    choices = Path(args.choices_dir) if args.choices_dir else data / "choices"
    with ExitStack() as stack:
        sources = ["", *args.compare]
        servers = [stack.enter_context(serving(s, data=data / str(i), choices=choices)) for i, s in enumerate(sources)]
        asyncio.run(bench(args, servers, choices))
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
