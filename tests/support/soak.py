"""The soak's run: the load against a started hfgate, and the report (bench/soak.py, tests/api/test_soak_small.py).

The load itself is ``tests/support/soak_load.py``; ``add_state_route`` gives the soak's server the
``/_soak/state`` route that the end-of-run check reads.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.fakes.hf_server import TOKEN, FakeHF, Fault
from tests.support.soak_load import EXPECTED, HF_ID, Load, plan

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
