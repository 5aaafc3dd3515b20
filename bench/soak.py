"""Soak: thousands of mixed requests against one hfgate process; errors, latencies, and leaks.

hfgate runs in a process of its own (uvicorn, ``hfgate serve``'s limits) with its default local models
and a ``hugging_face`` endpoint on the fault-injecting fake Hugging Face server
(tests/fakes/hf_server.py, in this process). The load (tests/support/soak.py and soak_load.py, shared
with tests/api/test_soak_small.py) sends a fixed, shuffled mix at bounded concurrency, loopback only,
and stops at ``--max-seconds`` whatever is left. Every ``--every`` requests the server's RSS, open file
descriptors and threads are read from /proc; at the end, its generation slots and embedding queues
(``/_soak/state``, a route only the soak's server has) must be empty, and the registered token must
appear in no response, log line or metric.

Run: ``.venv/bin/python bench/soak.py [--requests 20000] [--concurrency 64] [--seed 14]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.support, run as a script

from tests.fakes.hf_server import TOKEN, FakeHF
from tests.support.soak import add_state_route, soak
from tests.support.soak_load import EMBED_ID


def _serve(port: int) -> None:
    import uvicorn

    from hfgate.api.app import create_app
    from hfgate.config import Settings
    from hfgate.process.serve import uvicorn_options

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
