"""What hfgate adds on top of a Hugging Face upstream: latency, CPU per request, throughput.

Three processes on 127.0.0.1: a fast fake TEI server (aiohttp + orjson, one fixed 384-d vector per
input), hfgate (uvicorn, one worker, the ``hugging_face`` service pointed at that server by ``url``),
and this load generator (a bounded aiohttp client). Each round measures the direct path
(client → TEI) and the gateway path (client → hfgate → TEI), interleaved, so that other load on the
machine hits both alike; medians over rounds are reported. Gateway CPU is read from
``/proc/<pid>/stat`` of the hfgate process (user + system) over a gateway phase.

Run: ``.venv/bin/python bench/gateway_bench.py [--rounds 5] [--requests 2000] [--service-only]``
(``--service-only``: the service's own cost in one process, against a raw aiohttp POST.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import orjson

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
GATEWAY_SOURCE = """
import sys, uvicorn
from hfgate.api.app import create_app
from hfgate.config import Settings
uvicorn.run(create_app(Settings()), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            access_log=False, loop="uvloop", http="httptools")
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


async def bench(rounds: int, requests: int) -> None:
    upstream_port, gateway_port = free_port(), free_port()
    data_dir = tempfile.mkdtemp(prefix="hfgate-bench-")
    env = os.environ | {
        "HFGATE_DATA_DIR": data_dir,
        "HFGATE_PROVISION_DEFAULTS": "false",
        "HFGATE_LOG_LEVEL": "warning",
        "HF_HUB_OFFLINE": "1",
    }
    upstream = start([sys.executable, "-c", SERVER_SOURCE, str(upstream_port)])
    gateway = start([sys.executable, "-c", GATEWAY_SOURCE, str(gateway_port)], env=env)
    direct_url = f"http://127.0.0.1:{upstream_port}/"
    gateway_base = f"http://127.0.0.1:{gateway_port}"
    try:
        connector = aiohttp.TCPConnector(limit=64)
        async with aiohttp.ClientSession(connector=connector) as session:
            await wait_up(session, f"{direct_url}info")
            await wait_up(session, f"{gateway_base}/_inference")
            create = {
                "service": "hugging_face",
                "service_settings": {
                    "url": direct_url,
                    "api_key": "hf_bench",
                    "rate_limit": {"requests_per_minute": 100_000_000},
                },
            }
            async with session.put(f"{gateway_base}/_inference/text_embedding/bench", json=create) as response:
                if response.status != 200:
                    raise RuntimeError(await response.text())
            await report(session, direct_url, gateway_base, gateway.pid, rounds=rounds, requests=requests)
    finally:
        for process in (gateway, upstream):
            process.terminate()
            process.wait(10)


async def report(
    session: aiohttp.ClientSession, direct_url: str, gateway_base: str, pid: int, *, rounds: int, requests: int
) -> None:
    direct_body = orjson.dumps({"inputs": ["a short sentence to embed"]})
    gateway_body = orjson.dumps({"input": ["a short sentence to embed"]})
    gateway_url = f"{gateway_base}/_inference/text_embedding/bench"
    await run_load(session, gateway_url, gateway_body, requests=200, concurrency=8)  # warm up
    p50 = {"direct": [], "gateway": []}
    rate = {"direct": [], "gateway": []}
    cpu: list[float] = []
    for _ in range(rounds):
        lat, _ = await run_load(session, direct_url, direct_body, requests=requests // 4, concurrency=1)
        p50["direct"].append(statistics.median(lat))
        lat, _ = await run_load(session, gateway_url, gateway_body, requests=requests // 4, concurrency=1)
        p50["gateway"].append(statistics.median(lat))
        _, wall = await run_load(session, direct_url, direct_body, requests=requests, concurrency=32)
        rate["direct"].append(requests / wall)
        before = cpu_seconds(pid)
        _, wall = await run_load(session, gateway_url, gateway_body, requests=requests, concurrency=32)
        cpu.append((cpu_seconds(pid) - before) / requests)
        rate["gateway"].append(requests / wall)
    direct_p50, gateway_p50 = statistics.median(p50["direct"]), statistics.median(p50["gateway"])
    print(f"rounds={rounds} requests/round={requests} (concurrency 1: {requests // 4})")
    print("| measure | direct to upstream | through hfgate |")
    print("|---|---|---|")
    print(f"| p50 latency, concurrency 1 | {direct_p50 * 1e3:.3f} ms | {gateway_p50 * 1e3:.3f} ms |")
    print(f"| added p50 latency | — | {(gateway_p50 - direct_p50) * 1e3:.3f} ms |")
    print(f"| gateway CPU per request (c=32) | — | {statistics.median(cpu) * 1e3:.3f} ms |")
    direct_rate, gateway_rate = statistics.median(rate["direct"]), statistics.median(rate["gateway"])
    print(f"| requests/s, concurrency 32 | {direct_rate:,.0f} | {gateway_rate:,.0f} |")


async def service_path(rounds: int, requests: int) -> None:
    """In one process: the ``hugging_face`` service's embed() against a raw aiohttp POST, CPU per call."""
    from hfgate.config import Settings
    from hfgate.registry.endpoint import Endpoint
    from hfgate.services.base import ServiceContext
    from hfgate.services.hugging_face.service import HuggingFaceService
    from hfgate.tasks import EmbedRequest, TaskType
    from hfgate.upstream.http.ratelimit import RateLimiters

    port = free_port()
    upstream = start([sys.executable, "-c", SERVER_SOURCE, str(port)])
    url = f"http://127.0.0.1:{port}/"
    context = ServiceContext(limiters=RateLimiters(), settings=Settings(data_dir=Path(tempfile.mkdtemp())))
    service = HuggingFaceService(context)
    settings = {"url": url, "rate_limit": {"requests_per_minute": 100_000_000}}
    endpoint = Endpoint(
        inference_id="bench", task_type=TaskType.TEXT_EMBEDDING, service="hugging_face",
        service_settings=settings, secrets={"api_key": "hf_bench"},
    )  # fmt: skip
    request = EmbedRequest(texts=("a short sentence to embed",))
    body = orjson.dumps({"inputs": ["a short sentence to embed"]})
    try:
        async with aiohttp.ClientSession() as session:
            await wait_up(session, f"{url}info")

            async def direct() -> object:
                async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as response:
                    return orjson.loads(await response.read())

            async def through_service() -> object:
                return await service.embed(endpoint, request)

            cpu: dict[str, list[float]] = {"direct aiohttp POST": [], "service.embed()": []}
            for _ in range(rounds):
                for name, call in (("direct aiohttp POST", direct), ("service.embed()", through_service)):
                    cpu[name].append(await _cpu_per_call(call, requests))
            print("| path (in-process, concurrency 32) | CPU per request |")
            print("|---|---|")
            for name, values in cpu.items():
                print(f"| {name} | {statistics.median(values) * 1e3:.3f} ms |")
    finally:
        await service.aclose()
        upstream.terminate()
        upstream.wait(10)


async def _cpu_per_call(call: Callable[[], Awaitable[object]], requests: int) -> float:
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(32)))
    return (time.process_time() - started) / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--service-only", action="store_true", help="in-process service path vs raw aiohttp")
    args = parser.parse_args()
    asyncio.run((service_path if args.service_only else bench)(args.rounds, args.requests))


if __name__ == "__main__":
    main()
