"""bench/rolling_restart_bench.py in miniature: three ``hfgate serve`` replicas sharing a SQLite registry,
restarted one after the other (SIGTERM, exit, start, ready) under steady load, lose no request.

The fleet, balancer and load are tests/support/rolling_restart.py, which the benchmark runs too."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.rolling_restart import UPSTREAM_SOURCE, create_endpoint, free_port, rolling_restart, start_fleet

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`


def test_a_rolling_restart_of_three_replicas_under_load_fails_no_request(tmp_path: Path) -> None:
    upstream_port = free_port()
    upstream = subprocess.Popen([sys.executable, "-c", UPSTREAM_SOURCE, str(upstream_port)])
    replicas = start_fleet(tmp_path, upstream_port=upstream_port, database_url=None, drain_delay=1.0, drain_seconds=10)
    try:
        asyncio.run(create_endpoint(replicas[0].url, f"http://127.0.0.1:{upstream_port}"))
        report = asyncio.run(rolling_restart(replicas, clients=4, rounds=1, probe_seconds=0.25, settle=0.5))
    finally:
        for replica in replicas:
            replica.kill()
        upstream.kill()
        upstream.wait()
    assert report.exit_codes == [0, 0, 0]
    assert report.tally.sent > 100
    assert report.tally.failed == 0, report.lines()
    assert len(report.tally.latencies) == report.tally.sent
