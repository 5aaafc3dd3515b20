"""Not a benchmark: what the gateway benchmarks share (``fleet_bench.py``, ``gateway_wrk_bench.py``).

A fast fake TEI server's source (aiohttp + orjson, one fixed 384-d vector per input), free ports, a
process's CPU seconds from ``/proc``, waiting for a server, and a bounded aiohttp POST load.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from pathlib import Path

import aiohttp

DIMENSIONS = 384
SERVER_SOURCE = f"""
import orjson, sys
from aiohttp import web
VECTOR = [0.01 * (i % 97) for i in range({DIMENSIONS})]
async def embed(request):
    body = orjson.loads(await request.read())
    return web.Response(body=orjson.dumps([VECTOR] * len(body["inputs"])), content_type="application/json")
async def info(request):
    return web.Response(body=orjson.dumps({{"model_id": "bench/model", "model_type": {{"embedding": {{}}}},
        "max_client_batch_size": 32}}), content_type="application/json")
app = web.Application()
app.router.add_post("/", embed)
app.router.add_post("/embed", embed)  # TEI serves both; hfgate detects TEI by /info and uses /embed
app.router.add_get("/info", info)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """A server process (started before the measured loop, so blocking here costs nothing)."""
    return subprocess.Popen(args, env=env)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_up(session: aiohttp.ClientSession, url: str) -> None:
    for _ in range(300):
        try:
            async with session.get(url) as response:
                if response.status < 500:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


async def run_load(
    session: aiohttp.ClientSession, url: str, body: bytes, *, requests: int, concurrency: int
) -> tuple[list[float], float]:
    """Latencies of ``requests`` POSTs with ``concurrency`` in flight, and the wall time."""
    latencies: list[float] = []
    remaining = requests
    headers = {"Content-Type": "application/json"}

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{url}: {response.status} {await response.text()}")
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started
