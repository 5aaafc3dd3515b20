"""A rolling restart of three replicas under steady load: requests sent, failed (the target is 0), latency.

The fleet, the balancer and the load are tests/support/rolling_restart.py (shared with
tests/fleet/test_rolling_restart.py); this script runs them once, as measured in docs/deployment.md.

Run: ``.venv/bin/python bench/rolling_restart_bench.py [--clients 8] [--drain-delay 2] [--rounds 1]``
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.support, run as a script

from tests.support.rolling_restart import (
    UPSTREAM_SOURCE,
    Report,
    create_endpoint,
    free_port,
    rolling_restart,
    start_fleet,
)


def main(args: argparse.Namespace) -> Report:
    """Start the upstream and the fleet, restart it under load, stop everything."""
    upstream_port = free_port()
    upstream = subprocess.Popen([sys.executable, "-c", UPSTREAM_SOURCE, str(upstream_port)])
    workdir = Path(tempfile.mkdtemp(prefix="hfgate-rolling-"))
    replicas = start_fleet(
        workdir, upstream_port=upstream_port, database_url=args.database_url,
        drain_delay=args.drain_delay, drain_seconds=args.drain_seconds,
    )  # fmt: skip
    try:
        asyncio.run(create_endpoint(replicas[0].url, f"http://127.0.0.1:{upstream_port}"))
        options = {"clients": args.clients, "rounds": args.rounds, "probe_seconds": args.probe_seconds}
        return asyncio.run(rolling_restart(replicas, settle=args.settle, **options))
    finally:
        for replica in replicas:
            replica.kill()
        upstream.kill()
        upstream.wait()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (closed loop)")
    parser.add_argument("--rounds", type=int, default=1, help="times the whole fleet is restarted")
    parser.add_argument("--drain-delay", type=float, default=2.0, help="HFGATE_DRAIN_DELAY_SECONDS")
    parser.add_argument("--drain-seconds", type=float, default=30.0, help="HFGATE_DRAIN_SECONDS")
    parser.add_argument("--probe-seconds", type=float, default=0.5, help="the balancer's /ready period")
    parser.add_argument("--settle", type=float, default=3.0, help="load before the first and after the last restart")
    parser.add_argument("--database-url", default=None, help="a shared PostgreSQL; default a SQLite file")
    return parser.parse_args(argv)


if __name__ == "__main__":
    report = main(parse())
    print("\n".join(report.lines()))
    sys.exit(1 if report.tally.failed else 0)
