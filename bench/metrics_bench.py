"""CPU that hfgate's metrics add per request: the request counters and histograms, one upstream
attempt's histogram, in one process and in prometheus-client's multiprocess mode (``--workers``).

Measures, in this process, the exact calls the access middleware and the upstream client make per
request (open a request scope, name the endpoint, count and time the request, time one upstream
attempt), and for comparison the same with ``metric.labels(...)`` looked up on every call instead of
hfgate's bound children. CPU time (``time.process_time``) over ``--n`` iterations, median of
``--repeats``; the multiprocess figures come from a child process started with
``PROMETHEUS_MULTIPROC_DIR`` set (values in memory-mapped files).

Run: ``.venv/bin/python bench/metrics_bench.py [--n 200000] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable


def per_request_us(n: int) -> dict[str, Callable[[], None]]:
    from hfgate.api.middleware import _count
    from hfgate.telemetry.metrics import REQUEST_SECONDS, REQUESTS
    from hfgate.telemetry.request_scope import CURRENT, RequestScope, face_of, name_endpoint
    from hfgate.upstream.http.attempt_metrics import timed_attempt
    from hfgate.upstream.http.call import Call

    call = Call(inference_id="bench", api_key="k", timeout=30, target="http://127.0.0.1:1")

    def request() -> None:
        labels = RequestScope(face_of("/_inference/text_embedding/bench"))
        token = CURRENT.set(labels)
        name_endpoint("bench", "text_embedding")
        CURRENT.reset(token)
        _count(labels, 200)

    def attempt() -> None:
        with timed_attempt(call) as outcome:
            outcome.status = 200

    counter = REQUESTS._metric  # type: ignore[attr-defined]
    histogram = REQUEST_SECONDS._metric  # type: ignore[attr-defined]

    def unbound() -> None:
        counter.labels("elasticsearch", "bench", "text_embedding", "200").inc()
        histogram.labels("elasticsearch", "bench", "text_embedding").observe(0.001)

    def bound() -> None:
        REQUESTS("elasticsearch", "bench", "text_embedding", "200").inc()
        REQUEST_SECONDS("elasticsearch", "bench", "text_embedding").observe(0.001)

    return {"request (scope + count + time)": request, "upstream attempt": attempt, "bound": bound, "labels()": unbound}


def measure(n: int, repeats: int) -> dict[str, float]:
    results: dict[str, list[float]] = {}
    for _ in range(repeats):
        for name, work in per_request_us(n).items():
            started = time.process_time()
            for _ in range(n):
                work()
            results.setdefault(name, []).append((time.process_time() - started) / n * 1e6)
    return {name: statistics.median(values) for name, values in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        for name, value in measure(args.n, args.repeats).items():
            print(f"{name}\t{value:.2f}")
        return
    single = subprocess.run(
        [sys.executable, __file__, "--child", f"--n={args.n}", f"--repeats={args.repeats}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    with tempfile.TemporaryDirectory() as directory:
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": directory}
        multi = subprocess.run(
            [sys.executable, __file__, "--child", f"--n={args.n}", f"--repeats={args.repeats}"],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
    print(f"load average: {os.getloadavg()[0]:.2f}")
    print("| per request, µs of CPU | one process | multiprocess (mmap) |\n|---|---|---|")
    rows = dict(line.split("\t") for line in single.splitlines())
    multi_rows = dict(line.split("\t") for line in multi.splitlines())
    for name, value in rows.items():
        print(f"| {name} | {value} | {multi_rows[name]} |")


if __name__ == "__main__":
    main()
