"""Several ``hfgate serve`` processes on 127.0.0.1, each with its own data directory (a fleet)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from tests.support.live_server import free_port

SRC = Path(__file__).resolve().parents[2] / "src"
FLEET_SECRET = "fleet-test-secret-key"


def fleet_env(*, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """What every replica of a test fleet shares: one database, one Redis (under a prefix of this run's
    own), one secret key; no default endpoints. ``extra`` adds ``HFGATE_*`` settings."""
    return {
        "HFGATE_DATABASE_URL": database_url,
        "HFGATE_REDIS_URL": redis_url,
        "HFGATE_REDIS_PREFIX": f"hfgate-test-{uuid.uuid4().hex[:8]}:",
        "HFGATE_SECRET_KEY": FLEET_SECRET,
        "HFGATE_PROVISION_DEFAULTS": "false",
        "HFGATE_LOG_LEVEL": "warning",
        **extra,
    }


class Replica:
    """One ``hfgate serve`` process; ``url`` is its address."""

    def __init__(self, env: dict[str, str], *, log: Path, args: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        pythonpath = os.pathsep.join(filter(None, (str(SRC), os.environ.get("PYTHONPATH"))))
        command = [sys.executable, "-m", "hfgate.cli", "serve", "--port", str(self.port), "--no-preload", *args]
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                command, env={**os.environ, **env, "PYTHONPATH": pythonpath}, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"replica exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"replica not healthy within {timeout} s: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as when a machine dies."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def start_fleet(count: int, *, env: dict[str, str], workdir: Path) -> list[Replica]:
    """``count`` replicas sharing ``env`` (database, Redis, secret key), each with its own data directory."""
    replicas = []
    for n in range(count):
        data = workdir / f"replica{n}"
        data.mkdir(parents=True, exist_ok=True)
        replicas.append(Replica({**env, "HFGATE_DATA_DIR": str(data)}, log=workdir / f"replica{n}.log"))
    try:
        for replica in replicas:
            replica.wait_healthy()
    except BaseException:
        for replica in replicas:
            replica.stop()
        raise
    return replicas
