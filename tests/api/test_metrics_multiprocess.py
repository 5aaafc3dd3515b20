"""With ``PROMETHEUS_MULTIPROC_DIR`` shared, ``/metrics`` on any worker sums every worker's counts —
two real ``hfgate serve`` processes here, as ``--workers 2`` runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from hfgate.telemetry.exposition import prepare_multiprocess_dir
from tests.support.live_server import free_port
from tests.support.metrics import sample

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`

SERVE = "from hfgate.cli import main; main()"


@contextmanager
def serve_process(data_dir: Path, metrics_dir: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "HFGATE_DATA_DIR": str(data_dir),
        "HFGATE_PROVISION_DEFAULTS": "false",
        "HFGATE_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen([sys.executable, "-c", SERVE, "serve", "--port", str(port), "--no-preload"], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(url, process)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def _wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "hfgate serve stopped during start-up"
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"hfgate at {url} did not start")


def test_each_worker_scrape_shows_the_sum_of_all_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_stale.db").write_bytes(b"left from a previous run")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
    assert prepare_multiprocess_dir(2) == metrics_dir
    assert list(metrics_dir.iterdir()) == []  # a previous run's counts would be added otherwise
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    with (
        serve_process(tmp_path / "a", metrics_dir) as first,
        serve_process(tmp_path / "b", metrics_dir) as second,
    ):
        for url, count in ((first, 3), (second, 2)):
            for _ in range(count):
                assert httpx.get(f"{url}/_inference").status_code == 200
        for url in (first, second):
            text = httpx.get(f"{url}/metrics").text
            assert sample(text, "hfgate_requests_total", face="elasticsearch", status="200") == 5


def test_one_worker_needs_no_directory() -> None:
    assert prepare_multiprocess_dir(1) is None
