"""The HTTP worker's share of the CPU, reproduced beside an engine while it is timed.

A server computes on its compute thread while its event loop parses requests and writes vectors as
JSON on the same cores. Engines do not suffer that alike: two engines can rank one way timed alone and
the other way beside a thread serializing vectors, which is how they rank over HTTP
(``docs/benchmarks/embeddings.md``). Timing engines under this load ranks them as they serve.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import orjson

SERVING_SHARE = 0.3
"""The fraction of one core the event loop is modelled to take while the engine computes."""

_PERIOD_SECONDS = 0.002
_VECTORS = [[0.0123456789 * (i + j) for i in range(384)] for j in range(8)]  # 8 MiniLM-sized answers


@contextmanager
def serving_load(share: float = SERVING_SHARE) -> Iterator[None]:
    """Keep a thread busy writing vectors as JSON for ``share`` of every 2 ms while the block runs
    (``share`` 0: no thread)."""
    if share <= 0:
        yield
        return
    stop = threading.Event()
    worker = threading.Thread(target=_serve, args=(share, stop), name="hfgate-serving-load", daemon=True)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join()


def _serve(share: float, stop: threading.Event) -> None:
    busy = _PERIOD_SECONDS * min(share, 1.0)
    while not stop.is_set():
        started = time.perf_counter()
        while time.perf_counter() - started < busy:
            orjson.dumps(_VECTORS)
        time.sleep(_PERIOD_SECONDS - busy)
