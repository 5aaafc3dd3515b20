"""Soak: thousands of mixed requests against one hfgate process; errors, latencies, and leaks.

hfgate runs in a process of its own (uvicorn, ``hfgate serve``'s limits) with its default local
models and a ``hugging_face`` endpoint on the fault-injecting fake Hugging Face server
(tests/fakes/hf_server.py, in this process). The load (bench/soak_load.py) sends a fixed, shuffled
mix at bounded concurrency, loopback only, and stops at ``--max-seconds`` whatever is left. Every
``--every`` requests the server's RSS, open file descriptors and threads are read from /proc; at the
end, its generation slots and embedding queues (``/_soak/state``, a route only the soak's server
has) must be empty, and the registered token must appear in no response, log line or metric.

Run: ``.venv/bin/python bench/soak.py [--requests 20000] [--concurrency 64] [--seed 14]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.soak_load import EMBED_ID, EXPECTED, HF_ID, Load, plan
from tests.fakes.hf_server import TOKEN, FakeHF, Fault

FAULTS = (Fault.rate_limited(0.01), Fault.server_error(503), Fault(reset=True), Fault.malformed())


@dataclass
class Report:
    requests: int = 0
    seconds: float = 0.0
    kinds: dict[str, dict[str, Any]] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    samples: list[dict[str, int]] = field(default_factory=list)
    final_state: dict[str, int] = field(default_factory=dict)
    secret_seen: list[str] = field(default_factory=list)

    @property
    def unexpected_count(self) -> int:
        return sum(
            n for kind, statuses in self.kinds.items() for status, n in statuses["statuses"].items()
            if not status.isdigit() or int(status) not in EXPECTED[kind]
        )  # fmt: skip


def probe(pid: int) -> dict[str, int]:
    """RSS (KiB), open file descriptors and threads of process ``pid``."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {
        "rss_kb": int(status["VmRSS"].split()[0]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": int(status["Threads"]),
    }


def add_state_route(app: Any) -> Any:
    """``GET /_soak/state``: requests generating or waiting for a row, and texts queued for a model."""
    from hfgate.local.cache import ModelCache

    @app.get("/_soak/state")
    async def state() -> dict[str, int]:
        cache = app.state.runtime.context.shared(ModelCache)
        models = [cache.peek(key) for key in cache.loaded()]
        return {
            "generating": sum(int(getattr(m, "active", 0)) for m in models),
            "queued_texts": sum(int(getattr(m, "waiting", 0)) for m in models),
        }

    return app


async def soak(base: str, *, fake: FakeHF, pid: int, total: int, concurrency: int, seed: int, every: int,
               max_seconds: float) -> Report:  # fmt: skip
    """Run the load against a started hfgate at ``base`` (process ``pid``); its report."""
    _create_hf_endpoint(base, fake)
    report = Report(samples=[{"done": 0, **probe(pid)}])

    def fault(done: int) -> None:
        if done % 20 == 0:
            fake.inject("/tei", FAULTS[(done // 20) % len(FAULTS)])

    async def sample(done: int) -> None:
        report.samples.append({"done": done, **probe(pid)})

    load = Load(base, upstream=f"{fake.base}/tei", token=TOKEN, fault=fault, concurrency=concurrency, seed=seed)
    started = time.monotonic()
    await load.run(plan(total, seed=seed), every=every, sample=sample, deadline=started + max_seconds)
    report.seconds = round(time.monotonic() - started, 1)
    report.final_state = _settled_state(base)
    report.samples.append({"done": load.observed.done, **probe(pid)})
    _summarize(report, load)
    report.secret_seen = _secret_in(base, load.observed.bodies)
    return report


def _create_hf_endpoint(base: str, fake: FakeHF) -> None:
    body = {"service": "hugging_face", "service_settings": {"url": f"{fake.base}/tei", "api_key": TOKEN}}
    answer = httpx.put(f"{base}/_inference/text_embedding/{HF_ID}", json=body, timeout=60)
    assert answer.status_code == 200, answer.text


def _settled_state(base: str) -> dict[str, int]:
    """The state once hung-up streams have been noticed (a few seconds at most)."""
    deadline = time.monotonic() + 15
    while True:
        state: dict[str, int] = httpx.get(f"{base}/_soak/state", timeout=10).json()
        if not any(state.values()) or time.monotonic() > deadline:
            return state
        time.sleep(0.2)


def _summarize(report: Report, load: Load) -> None:
    observed = load.observed
    report.requests = observed.done
    report.unexpected = observed.unexpected
    for kind, times in sorted(observed.latencies.items()):
        ordered = sorted(times)
        report.kinds[kind] = {
            "count": len(ordered),
            "statuses": dict(observed.statuses[kind]),
            "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
        }


def _secret_in(base: str, bodies: list[bytes]) -> list[str]:
    secret = TOKEN.encode()
    places = [f"response body #{i}" for i, body in enumerate(bodies) if secret in body]
    for path in ("/metrics", "/_inference/_all", f"/_inference/{HF_ID}", "/_inference/_services"):
        if secret in httpx.get(f"{base}{path}", timeout=30).content:
            places.append(path)
    return places


def _serve(port: int) -> None:
    import uvicorn

    from hfgate.api.app import create_app
    from hfgate.config import Settings
    from hfgate.serving import uvicorn_options

    settings = Settings()
    uvicorn.run(add_state_route(create_app(settings)), host="127.0.0.1", port=port, log_level="warning",
                access_log=False, **uvicorn_options(settings))  # fmt: skip


def _start_server(data_dir: Path, fake: FakeHF, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "HFGATE_DATA_DIR": str(data_dir), "HFGATE_HF_INFERENCE_URL": f"{fake.base}/hf-inference",
           "HFGATE_HF_HUB_URL": f"{fake.base}/hub", "HFGATE_HF_ENDPOINTS_URL": f"{fake.base}/endpoints/v2",
           "HFGATE_LOG_FORMAT": "json", "HFGATE_LOG_LEVEL": "info", "HFGATE_PRELOAD_MODELS": "true",
           "HFGATE_REGISTRY_CACHE_SECONDS": "1", "PYTHONPATH": _pythonpath()}  # fmt: skip
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], env=env, stderr=out, stdout=out)
    base = f"http://127.0.0.1:{port}"
    _wait_ready(base, server)
    return server, base


def _pythonpath() -> str:
    return os.pathsep.join([str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")])


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and server.poll() is None:
        try:  # ready = both default models answer (loaded)
            embed = httpx.post(f"{base}/_inference/text_embedding/{EMBED_ID}", json={"input": "warm"}, timeout=300)
            chat = {"model": ".smollm2-135m-instruct", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
            if (
                embed.status_code == 200
                and httpx.post(f"{base}/v1/chat/completions", json=chat, timeout=300).status_code == 200
            ):
                return
        except httpx.TransportError:
            time.sleep(0.5)
    raise RuntimeError("the soak's hfgate did not become ready")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _machine() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    return {"cpu": cpu, "cores": str(os.cpu_count()), "load": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--max-seconds", type=float, default=3600)
    parser.add_argument("--out", type=Path, default=None, help="also write the report as JSON here")
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        _serve(args.serve)
        return
    fake = FakeHF()
    fake.start()
    data_dir = Path(tempfile.mkdtemp(prefix="hfgate-soak-"))
    server, base = _start_server(data_dir, fake, data_dir / "server.log")
    before = _machine()
    try:
        report = asyncio.run(soak(base, fake=fake, pid=server.pid, total=args.requests, concurrency=args.concurrency,
                                  seed=args.seed, every=args.every, max_seconds=args.max_seconds))  # fmt: skip
    finally:
        server.terminate()
        server.wait(60)
        fake.stop()
    if TOKEN.encode() in (data_dir / "server.log").read_bytes():
        report.secret_seen.append("server log")
    print(json.dumps({"machine_before": before, "machine_after": _machine(), **asdict(report),
                      "unexpected_count": report.unexpected_count}, indent=1))  # fmt: skip
    if args.out:
        args.out.write_text(json.dumps(asdict(report), indent=1))


if __name__ == "__main__":
    main()
