"""The model of the HTTP worker's load that engines are timed beside."""

from __future__ import annotations

import threading
import time

from hfgate.local.embedding.serving_load import serving_load


def _load_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "hfgate-serving-load"]


def test_serving_load_runs_a_busy_thread_only_inside_the_block() -> None:
    with serving_load(0.3):
        assert len(_load_threads()) == 1
        started, cpu = time.perf_counter(), time.thread_time()
        time.sleep(0.1)
        assert time.thread_time() - cpu < 0.01  # the load is another thread's, not the caller's
        assert time.perf_counter() - started >= 0.1
    assert _load_threads() == []


def test_serving_load_of_zero_starts_no_thread() -> None:
    with serving_load(0):
        assert _load_threads() == []
