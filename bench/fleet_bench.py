"""Gateway throughput with 1 and 2 workers, the Redis rate limiter on and off, in one run.

Four ``hfgate serve`` processes (``--workers 1`` and ``--workers 2``, each with and without
``HFGATE_REDIS_URL``) in front of the fast fake TEI server of ``bench/support/gateway.py``; rounds are
interleaved over the four, so that other load on the (shared) machine hits all alike, and medians are
reported. Gateway CPU per request is read from ``/proc`` for the serving process and its workers.
The Redis limiter's cost is the CPU difference between "on" and "off" at the same worker count.

Run (Redis on 127.0.0.1:6379): ``.venv/bin/python bench/fleet_bench.py [--rounds 5] [--requests 2000]``
(``--admission-only``: the CPU of one Redis admission alone, in this process, one request at a time.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import orjson

from support.gateway import SERVER_SOURCE, cpu_seconds, free_port, run_load, start, wait_up

REDIS_URL = os.environ.get("HFGATE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SRC = Path(__file__).resolve().parents[1] / "src"


def tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and its children (uvicorn's workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return cpu_seconds(pid) + sum(cpu_seconds(int(child)) for child in children)


def serve(workers: int, *, redis: bool, upstream_port: int) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    env = os.environ | {
        "PYTHONPATH": str(SRC),
        "HFGATE_DATA_DIR": tempfile.mkdtemp(prefix="hfgate-fleet-bench-"),
        "HFGATE_PROVISION_DEFAULTS": "false",
        "HFGATE_LOG_LEVEL": "warning",
        "HF_HUB_OFFLINE": "1",
    }
    if redis:
        env |= {"HFGATE_REDIS_URL": REDIS_URL, "HFGATE_REDIS_PREFIX": f"hfgate-bench-{uuid.uuid4().hex[:8]}:"}
    args = [sys.executable, "-m", "hfgate.cli", "serve", "--port", str(port), "--no-preload", "--workers", str(workers)]
    return f"http://127.0.0.1:{port}", start(args, env=env)


async def create(session: aiohttp.ClientSession, base: str, upstream: str) -> None:
    body = {
        "service": "hugging_face",
        "service_settings": {
            "url": upstream,
            "api_key": "hf_bench",
            "rate_limit": {"requests_per_minute": 100_000_000},
        },
    }
    async with session.put(f"{base}/_inference/text_embedding/bench", json=body) as response:
        if response.status != 200:
            raise RuntimeError(await response.text())


async def bench(rounds: int, requests: int) -> None:
    upstream_port = free_port()
    upstream = start([sys.executable, "-c", SERVER_SOURCE, str(upstream_port)])
    upstream_url = f"http://127.0.0.1:{upstream_port}/"
    configs = {(w, r): serve(w, redis=r, upstream_port=upstream_port) for w in (1, 2) for r in (False, True)}
    body = orjson.dumps({"input": ["a short sentence to embed"]})
    p50: dict[tuple[int, bool], list[float]] = {key: [] for key in configs}
    rate: dict[tuple[int, bool], list[float]] = {key: [] for key in configs}
    cpu: dict[tuple[int, bool], list[float]] = {key: [] for key in configs}
    cpu1: dict[tuple[int, bool], list[float]] = {key: [] for key in configs}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:
            await wait_up(session, f"{upstream_url}info")
            for base, _ in configs.values():
                await wait_up(session, f"{base}/_inference")
                await create(session, base, upstream_url)
                await run_load(session, f"{base}/_inference/text_embedding/bench", body, requests=400, concurrency=8)
            for _ in range(rounds):
                for key, (base, process) in configs.items():
                    url = f"{base}/_inference/text_embedding/bench"
                    before = tree_cpu(process.pid)
                    lat, _ = await run_load(session, url, body, requests=requests // 4, concurrency=1)
                    cpu1[key].append((tree_cpu(process.pid) - before) / (requests // 4))
                    p50[key].append(statistics.median(lat))
                    before = tree_cpu(process.pid)
                    _, wall = await run_load(session, url, body, requests=requests, concurrency=32)
                    cpu[key].append((tree_cpu(process.pid) - before) / requests)
                    rate[key].append(requests / wall)
    finally:
        for _, process in configs.values():
            process.terminate()
            process.wait(15)
        upstream.terminate()
        upstream.wait(10)
    print(f"rounds={rounds} requests/round={requests} (concurrency 1: {requests // 4})")
    print("| workers | Redis limiter | requests/s, c=32 | gateway CPU per request, c=32 | c=1 | p50, c=1 |")
    print("|---|---|---|---|---|---|")
    for (workers, redis), values in rate.items():
        per_request, latency = statistics.median(cpu[workers, redis]), statistics.median(p50[workers, redis])
        row = f"| {workers} | {'on' if redis else 'off'} | {statistics.median(values):,.0f} "
        alone = statistics.median(cpu1[workers, redis])
        print(row + f"| {per_request * 1e3:.3f} ms | {alone * 1e3:.3f} ms | {latency * 1e3:.3f} ms |")
    for workers in (1, 2):
        added = statistics.median(cpu[workers, True]) - statistics.median(cpu[workers, False])
        alone = statistics.median(cpu1[workers, True]) - statistics.median(cpu1[workers, False])
        print(
            f"Redis admission, {workers} worker(s): {added * 1e3:+.3f} ms CPU/request at c=32, {alone * 1e3:+.3f} c=1"
        )


async def admission_cost(requests: int) -> None:
    """CPU seconds per :meth:`RedisLimiter.acquire`, sequential (no batching), on a never-limiting rate."""
    from hfgate.ratelimit.pacing import RateLimiters
    from hfgate.ratelimit.redis_pacing import RedisLimiter

    limiter = RedisLimiter.from_url(REDIS_URL, fallback=RateLimiters(), prefix=f"hfgate-bench-{uuid.uuid4().hex}:")
    try:
        for phase in ("warm-up", "measured"):
            started = time.process_time()
            for _ in range(requests):
                await limiter.acquire("group", requests_per_minute=100_000_000, deadline=time.monotonic() + 5)
            if phase == "measured":
                print(f"Redis admission alone: {(time.process_time() - started) / requests * 1e3:.3f} ms CPU")
    finally:
        await limiter.client.delete(f"{limiter.prefix}group")
        await limiter.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--admission-only", action="store_true")
    args = parser.parse_args()
    if args.admission_only:
        sys.path.insert(0, str(SRC))
        import uvloop

        uvloop.run(admission_cost(args.requests))
        return
    asyncio.run(bench(args.rounds, args.requests))


if __name__ == "__main__":
    main()
