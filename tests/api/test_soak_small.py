"""bench/soak.py in miniature: a few hundred mixed requests, and the invariants the full soak reports.

In this process (the session's loaded models), so the file descriptors and threads compared are this
process's: they must come back to where they were once the load is over.
"""

from __future__ import annotations

import collections
import contextlib
import io
import logging
import threading
import time
from pathlib import Path

import httpx
import pytest

from hfgate.api.app import create_app
from hfgate.config import Settings
from hfgate.services import ServiceContext
from hfgate.telemetry.logs import JsonFormatter
from tests.fakes.hf_fixtures import fake_hf, fake_hf_server
from tests.fakes.hf_server import TOKEN, FakeHF
from tests.support.live_server import serve_app
from tests.support.soak import add_state_route, probe, soak

__all__ = ["fake_hf", "fake_hf_server"]


def _settings(tmp_path: Path, fake: FakeHF) -> Settings:
    return Settings(data_dir=tmp_path, hf_inference_url=f"{fake.base}/hf-inference", hf_hub_url=f"{fake.base}/hub",
                    hf_endpoints_url=f"{fake.base}/endpoints/v2", log_format="json", log_level="debug")  # fmt: skip


async def test_a_small_soak_keeps_every_invariant(
    tmp_path: Path, fake_hf: FakeHF, shared_context: ServiceContext
) -> None:
    app = add_state_route(create_app(_settings(tmp_path, fake_hf), context=shared_context))
    logs = io.StringIO()
    handler = logging.StreamHandler(logs)
    handler.setFormatter(JsonFormatter())
    with serve_app(app) as base:
        logging.getLogger("hfgate").addHandler(handler)  # after create_app, which resets hfgate's handlers
        try:
            _warm(base)
            before, opened = probe(_pid()), _open_files()
            report = await soak(base, fake=fake_hf, pid=_pid(), total=300, concurrency=16, seed=14, every=100,
                                max_seconds=600)  # fmt: skip
        finally:
            logging.getLogger("hfgate").removeHandler(handler)
        after, left_open = _settled(opened)
    assert report.requests >= 290
    assert report.unexpected_count == 0, report.unexpected
    assert not [
        k for k, v in report.kinds.items() for s in v["statuses"] if s.isdigit() and int(s) >= 500 and s != "502"
    ]
    assert report.final_state == {"generating": 0, "queued_texts": 0}
    assert report.secret_seen == []
    assert TOKEN not in logs.getvalue()
    assert "request" in logs.getvalue()  # the logs were captured, at debug level
    # What stayed open, less the registry's SQLite files: one connection per worker thread, bounded by
    # the threads (checked below), not a leak.
    assert len(_leaked(left_open)) <= 8, (before, after, left_open)
    assert after["threads"] <= before["threads"] + 8, (before, after, [t.name for t in threading.enumerate()])


def _warm(base: str) -> None:
    """Both default models loaded before the load starts (the soak measures after warm-up)."""
    chat = {"model": ".smollm2-135m-instruct", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
    assert httpx.post(f"{base}/v1/chat/completions", json=chat, timeout=600).status_code == 200
    # The request's own timeout too (30 s by default): on a loaded machine the ONNX export alone took 30 s.
    url = f"{base}/_inference/text_embedding/.all-minilm-l6-v2"
    embedded = httpx.post(url, json={"input": "hi"}, params={"timeout": "600s"}, timeout=600)
    assert embedded.status_code == 200


def _open_files() -> collections.Counter[str]:
    """What this process's file descriptors point at (a file, ``socket:[inode]``, ``pipe:[inode]``…)."""
    import os

    found: collections.Counter[str] = collections.Counter()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # closed while listed
            found[os.readlink(f"/proc/self/fd/{fd}")] += 1
    return found


def _pid() -> int:
    import os

    return os.getpid()


def _settled(opened: collections.Counter[str]) -> tuple[dict[str, int], list[str]]:
    """This process's figures once idle connections have closed (keep-alive, pools: a few seconds, more on a
    busy machine), and what was still open past the deadline that was not before the load."""
    deadline = time.monotonic() + 60
    while True:
        now, left_open = probe(_pid()), sorted((_open_files() - opened).elements())
        if len(_leaked(left_open)) <= 8 or time.monotonic() > deadline:
            return now, left_open
        time.sleep(0.5)


def _leaked(left_open: list[str]) -> list[str]:
    """The descriptors opened during the load and still open, but the registry database's own files."""
    return [f for f in left_open if not f.endswith(("/hfgate.db", "/hfgate.db-wal", "/hfgate.db-shm"))]


pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
