"""Where a running hfgate spends its CPU per request: py-spy samples folded into the request path's parts.

Record a running ``hfgate serve`` (one worker) while ``wrk`` loads it, then fold the samples::

    wrk -t1 -c32 -d14s -s body.lua http://127.0.0.1:8080/v1/embeddings &
    py-spy record -p <pid> -r 200 -d 12 -f raw -o openai.raw
    .venv/bin/python bench/profile_breakdown.py openai.raw [more.raw …]

Each sample goes to the part of its deepest frame that names one (a JSON dump inside the OpenAI
shapes counts as response building, a socket write inside uvicorn as the HTTP server). Samples of
idle thread-pool workers waiting for work are left out. ``--top N`` also lists the N busiest frames.
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("access log", ("logging/", "observability.py")),
    ("metrics", ("prometheus_client", "telemetry/metrics", "attempt_metrics", "_count (hfgate/api/middleware")),
    ("tracing", ("telemetry/tracing", "opentelemetry")),
    ("limiter (Redis admission)", ("redis/", "fleet/redis_limit", "fleet/limits", "ratelimit.py")),
    ("upstream wire format (payload, parse)", ("upstream/wire",)),
    ("upstream client (aiohttp, retry, balancer)", ("aiohttp/", "upstream/http", "yarl/", "multidict")),
    ("response building", ("/shapes", "api/responses.py", "numpy", "starlette/responses", "api/sse.py", "anyio/")),
    ("body parsing and validation", ("api/body.py", "/requests.py", "api/messages.py", "starlette/requests")),
    ("endpoint lookup, orchestrator, service", ("hfgate/orchestrator", "hfgate/services", "hfgate/registry")),
    (
        "routing and dispatch",
        ("starlette/routing", "fastapi/routing", "fastapi/dependencies", "plain_routes", "/routes.py", "api/es/run"),
    ),
    (
        "middleware (hfgate's, Starlette's, FastAPI's)",
        (
            "hfgate/api/middleware",
            "hfgate/api/gateway",
            "hfgate/api/hosts",
            "es/filter_path",
            "route_roles.py",
            "starlette/middleware",
            "fastapi/middleware",
            "fastapi/telemetry",
            "fastapi/_body_limit",
            "proxy_headers",
            "_exception_handler",
            "request_scope",
            "fastapi/applications",
            "starlette/applications",
        ),
    ),
    ("HTTP server (uvicorn, httptools, socket writes)", ("uvicorn/", "httptools", "/one_write", "/serving")),
)
OTHER = "event loop and other"
IDLE = ("concurrent/futures/thread.py:81)", "Condition.wait")


def part_of(stack: str) -> str:
    for frame in reversed(stack.split(";")):
        for name, markers in PARTS:
            if any(marker in frame for marker in markers):
                return name
    return OTHER


def fold(paths: list[Path]) -> tuple[collections.Counter[str], collections.Counter[str]]:
    parts: collections.Counter[str] = collections.Counter()
    leaves: collections.Counter[str] = collections.Counter()
    for path in paths:
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or any(marker in stack for marker in IDLE):
                continue
            parts[part_of(stack)] += int(count)
            leaves[stack.split(";")[-1]] += int(count)
    return parts, leaves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path, nargs="+", help="py-spy record -f raw output")
    parser.add_argument("--top", type=int, default=0)
    args = parser.parse_args()
    parts, leaves = fold(args.raw)
    total = sum(parts.values())
    print(f"{total} samples")
    print("| part | share of CPU |\n|---|---:|")
    for name in [*(name for name, _ in PARTS), OTHER]:
        print(f"| {name} | {100 * parts[name] / total:.1f} % |")
    for frame, count in leaves.most_common(args.top):
        print(f"{100 * count / total:5.1f} % {frame}")


if __name__ == "__main__":
    main()
