"""A rolling restart of three replicas under steady load: requests sent, failed (the target is 0), latency.

Processes on 127.0.0.1: a fast fake TEI server (aiohttp), three ``hfgate serve`` replicas sharing one
registry (a SQLite file, or PostgreSQL with ``--database-url``) and one secret key, and this process:
a small load balancer in front of them, and the clients. The balancer does what an orchestrator's does
(:mod:`hfgate.process.drain`): it polls each replica's ``/ready`` every ``--probe-seconds`` and sends requests
round-robin to those that answered 200; a request refused at connection (the replica no longer listens)
goes to the next one, as hfgate's own ``urls`` balancer does. Any other error, and any answer but 200,
counts as failed. Every replica in turn gets SIGTERM; once it has exited, it starts again on its port,
and the next one waits until it is ready.

Shared by bench/rolling_restart_bench.py (the measured run) and tests/fleet/test_rolling_restart.py.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import orjson

from tests.support.live_server import free_port

SRC = Path(__file__).resolve().parents[2] / "src"
SECRET = "rolling-restart-bench-secret"
UPSTREAM_SOURCE = """
import orjson, sys
from aiohttp import web
VECTOR = [0.01 * (i % 97) for i in range(384)]
async def embed(request):
    body = orjson.loads(await request.read())
    return web.Response(body=orjson.dumps([VECTOR] * len(body["inputs"])), content_type="application/json")
app = web.Application()
app.router.add_post("/", embed)
app.router.add_post("/embed", embed)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""
BODY = orjson.dumps({"input": ["a short sentence to embed"]})


class Replica:
    """One ``hfgate serve`` process on a fixed port, restartable."""

    def __init__(self, *, env: dict[str, str], data_dir: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | env | {"HFGATE_DATA_DIR": str(data_dir), "PYTHONPATH": str(SRC)}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "hfgate.cli", "serve", "--port", str(self.port), "--no-preload"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, env=self.env, stdout=out, stderr=subprocess.STDOUT)

    async def stop(self) -> int:
        """SIGTERM, and the exit code once it has drained."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.to_thread(self.process.wait)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@dataclass
class Balancer:
    """Round-robin over the replicas whose ``/ready`` answered 200 last; refused connections go to the next."""

    urls: list[str]
    probe_seconds: float
    ready: set[str] = field(default_factory=set)
    turn: int = 0

    async def probe_forever(self, session: aiohttp.ClientSession) -> None:
        while True:
            await asyncio.gather(*(self._probe(session, url) for url in self.urls))
            await asyncio.sleep(self.probe_seconds)

    async def _probe(self, session: aiohttp.ClientSession, url: str) -> None:
        try:
            async with session.get(f"{url}/ready", timeout=aiohttp.ClientTimeout(total=1)) as answer:
                healthy = answer.status == 200
        except (aiohttp.ClientError, TimeoutError):
            healthy = False
        (self.ready.add if healthy else self.ready.discard)(url)

    def order(self) -> list[str]:
        """The replicas to try for one request: the ready ones from the next in turn (all, if none is)."""
        self.turn += 1
        pool = [url for url in self.urls if url in self.ready] or self.urls
        start = self.turn % len(pool)
        return pool[start:] + pool[:start]


@dataclass
class Tally:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    latencies: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)

    def fail(self, why: str) -> None:
        self.failed += 1
        self.failures[why] = self.failures.get(why, 0) + 1


async def one_request(session: aiohttp.ClientSession, balancer: Balancer, tally: Tally, path: str) -> None:
    tally.sent += 1
    began = time.perf_counter()
    for attempt, url in enumerate(balancer.order()):
        try:
            async with session.post(f"{url}{path}", data=BODY, headers={"content-type": "application/json"}) as answer:
                await answer.read()
                if answer.status != 200:
                    tally.fail(f"HTTP {answer.status}")
                    return
                tally.latencies.append(time.perf_counter() - began)
                tally.retried += attempt > 0
                return
        except aiohttp.ClientConnectorError:  # refused: nothing was sent, the next replica may take it
            continue
        except (aiohttp.ClientError, TimeoutError) as exc:
            tally.fail(type(exc).__name__)
            return
    tally.fail("every replica refused the connection")


async def load(session: aiohttp.ClientSession, balancer: Balancer, tally: Tally, *, until: asyncio.Event) -> None:
    while not until.is_set():
        await one_request(session, balancer, tally, "/_inference/text_embedding/bench")


async def wait_ready(session: aiohttp.ClientSession, url: str, *, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            async with session.get(f"{url}/ready") as answer:
                if answer.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} not ready within {timeout} s")


@dataclass
class Report:
    tally: Tally
    seconds: float
    drains: list[float]
    exit_codes: list[int]

    def lines(self) -> list[str]:
        lat = sorted(self.tally.latencies) or [0.0]
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        return [
            f"requests sent {self.tally.sent} ({self.tally.sent / self.seconds:.1f}/s), "
            f"failed {self.tally.failed}{f' {self.tally.failures}' if self.tally.failures else ''}, "
            f"sent again to another replica after a refused connection {self.tally.retried}",
            f"latency p50 {statistics.median(lat) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms",
            f"total {self.seconds:.1f} s; SIGTERM to exit per replica {', '.join(f'{d:.1f}' for d in self.drains)} s; "
            f"exit codes {self.exit_codes}",
        ]


async def rolling_restart(
    replicas: list[Replica], *, clients: int, rounds: int, probe_seconds: float, settle: float
) -> Report:
    """Steady load on ``replicas`` (already started) while each is restarted in turn, ``rounds`` times."""
    balancer = Balancer([replica.url for replica in replicas], probe_seconds=probe_seconds)
    tally, done = Tally(), asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        for replica in replicas:
            await wait_ready(session, replica.url)
        prober = asyncio.create_task(balancer.probe_forever(session))
        began = time.monotonic()
        workers = [asyncio.create_task(load(session, balancer, tally, until=done)) for _ in range(clients)]
        drains, codes = [], []
        try:
            await asyncio.sleep(settle)
            for _ in range(rounds):
                for replica in replicas:
                    stopped = time.monotonic()
                    codes.append(await replica.stop())
                    drains.append(time.monotonic() - stopped)
                    replica.start()
                    await wait_ready(session, replica.url)
                    await asyncio.sleep(probe_seconds * 2)  # the balancer takes it back
            await asyncio.sleep(settle)
        finally:
            done.set()
            await asyncio.gather(*workers)
            prober.cancel()
        return Report(tally, time.monotonic() - began, drains, codes)


def start_fleet(
    workdir: Path, *, upstream_port: int, database_url: str | None, drain_delay: float, drain_seconds: float
) -> list[Replica]:
    env = {
        "HFGATE_DATABASE_URL": database_url or f"sqlite:///{workdir / 'registry.db'}",
        "HFGATE_SECRET_KEY": SECRET,
        "HFGATE_PROVISION_DEFAULTS": "false",
        "HFGATE_LOG_LEVEL": "warning",
        "HFGATE_DRAIN_DELAY_SECONDS": str(drain_delay),
        "HFGATE_DRAIN_SECONDS": str(drain_seconds),
        "HFGATE_REPLICAS": "3",
        "HF_HUB_OFFLINE": "1",
    }
    replicas = []
    for n in range(3):
        (workdir / f"r{n}").mkdir()
        replicas.append(Replica(env=env, data_dir=workdir / f"r{n}", log=workdir / f"r{n}.log"))
    for replica in replicas:
        replica.start()
    return replicas


async def create_endpoint(url: str, upstream: str) -> None:
    body = {"service": "hugging_face", "service_settings": {"url": upstream, "api_key": "hf_bench"}}
    async with aiohttp.ClientSession() as session:
        await wait_ready(session, url)
        put = f"{url}/_inference/text_embedding/bench?skip_validation=true"
        async with session.put(put, json=body) as answer:
            if answer.status != 200:
                raise RuntimeError(await answer.text())
