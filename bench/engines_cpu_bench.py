"""Embeddings of hfgate's ``local`` service, vLLM and infinity per CPU second: for a machine others load.

``engines_bench.py`` gives texts/s, which on a shared machine measures how much of the cores each server
gets from the scheduler as much as how little it needs (vLLM's OpenMP threads spin, and a spinning thread
is always runnable). This one runs the embedding half of it (same servers, models, clients and corpora,
interleaved rounds) and also reads the CPU time each server's process tree used, so that it reports
texts per CPU second beside texts/s: the throughput each would reach with the cores to itself, if the
work stays CPU-bound.

Run: ``flock /tmp/hfgate-bench.lock .venv/bin/python bench/engines_cpu_bench.py [--rounds 3]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics

import httpx
import psutil
from bench.corpora import corpora_dir
from bench.engines_bench import MINILM, embed_all, embedder, hfgate_server, machine
from bench.settled import wait_up
from tests.support.engine_servers import Launched, launch, missing_reason


def tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and its live descendants."""
    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


async def bench(args: argparse.Namespace, systems: dict[str, tuple[str, str, int]]) -> None:
    corpora = corpora_dir()
    texts = {
        "short": json.loads((corpora / "corpus_short.json").read_text())[: args.short],
        "long": json.loads((corpora / "corpus_long.json").read_text())[: args.long],
    }
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    async with httpx.AsyncClient(timeout=600, limits=httpx.Limits(max_connections=64)) as http:
        embedders = {name: (embedder(http, url, model), pid) for name, (url, model, pid) in systems.items()}
        for embed, _ in embedders.values():
            await embed(texts["short"][:8])
        for round_no in range(args.rounds):
            print(f"round {round_no + 1}/{args.rounds}", flush=True)
            for corpus, items in texts.items():
                for name, (embed, pid) in embedders.items():
                    before = tree_cpu(pid)
                    speed, _ = await embed_all(embed, items, clients=args.clients, size=args.request_size)
                    per_cpu = len(items) / max(tree_cpu(pid) - before, 1e-9)
                    results.setdefault((name, corpus), []).append((speed, per_cpu))
                    print(f"  {name:13} {corpus:5} {speed:8.1f} texts/s  {per_cpu:8.1f} texts/CPU s", flush=True)
    report(args, results)


def report(args: argparse.Namespace, results: dict[tuple[str, str], list[tuple[float, float]]]) -> None:
    print(f"\nmedians over {args.rounds} rounds; {args.clients} clients x {args.request_size} texts/request")
    print("| embeddings | corpus | texts/s | texts per server CPU s | hfgate ÷ this (per CPU s) |")
    print("|---|---|---:|---:|---:|")
    medians = {key: [statistics.median(r[i] for r in runs) for i in (0, 1)] for key, runs in results.items()}
    for (name, corpus), (speed, per_cpu) in medians.items():
        ratio = medians[("hfgate local", corpus)][1] / per_cpu
        print(f"| {name} | {corpus} | {speed:.1f} | {per_cpu:.1f} | {ratio:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--short", type=int, default=500)
    parser.add_argument("--long", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--request-size", type=int, default=8)
    args = parser.parse_args()
    for name in ("vllm-embed", "infinity"):
        if (reason := missing_reason(name)) is not None:
            raise SystemExit(reason)
    print(machine(), flush=True)
    launched: dict[str, Launched] = {}
    try:
        with hfgate_server() as (hfgate, process):
            launched = {name: launch(name) for name in ("vllm-embed", "infinity")}
            wait_up(hfgate + "/health", process)
            systems = {
                "hfgate local": (hfgate + "/v1/embeddings", ".all-minilm-l6-v2", process.pid),
                "vLLM": (launched["vllm-embed"].ready() + "/v1/embeddings", MINILM, launched["vllm-embed"].process.pid),
                "infinity": (launched["infinity"].ready() + "/embeddings", MINILM, launched["infinity"].process.pid),
            }
            asyncio.run(bench(args, systems))
    finally:
        for each in launched.values():
            each.stop()
    print(machine())


if __name__ == "__main__":
    main()
