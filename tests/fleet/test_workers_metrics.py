"""``hfgate serve --workers 2``: whichever worker answers ``/metrics``, it counts both workers' requests."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.metrics import sample
from tests.support.replicas import Replica

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`


def test_every_scrape_of_two_workers_shows_all_their_requests(tmp_path: Path) -> None:
    metrics_dir = tmp_path / "metrics"
    env = {
        "HFGATE_DATA_DIR": str(tmp_path / "data"),
        "HFGATE_PROVISION_DEFAULTS": "false",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    server = Replica(env, log=tmp_path / "serve.log", args=("--workers", "2"))
    try:
        server.wait_healthy()
        for _ in range(8):
            with httpx.Client() as fresh:  # a new connection each time, so both workers take some
                assert fresh.get(f"{server.url}/_inference", timeout=10).status_code == 200
        counts = set()
        for _ in range(6):
            with httpx.Client() as fresh:
                text = fresh.get(f"{server.url}/metrics", timeout=10).text
            counts.add(sample(text, "hfgate_requests_total", face="elasticsearch", status="200"))
    finally:
        server.stop()
    assert counts == {8.0}
    assert {p.name.split("_")[0] for p in metrics_dir.iterdir()} >= {"counter", "histogram"}
