"""``hfgate serve --workers N``: N replicas behind one port; without Redis each keeps 1/N of every limit."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.replicas import Replica

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`


def test_two_workers_serve_and_say_how_limits_are_shared(tmp_path: Path) -> None:
    env = {"HFGATE_DATA_DIR": str(tmp_path / "data"), "HFGATE_PROVISION_DEFAULTS": "false"}
    server = Replica(env, log=tmp_path / "serve.log", args=("--workers", "2"))
    try:
        server.wait_healthy()
        assert httpx.get(f"{server.url}/_inference", timeout=10).json() == {"endpoints": []}
    finally:
        server.stop()
    said = " ".join(server.log.read_text().split())
    assert "2 replicas (HFGATE_REPLICAS × --workers) without Redis: each keeps 1/2 of every rate limit" in said
