"""The garbage collector tuned for long runs of small objects: what exists frozen, young collections rarer.

Serving (``create_app``): start-up leaves many objects (modules, routes, pydantic and SQLAlchemy
metadata) that every full collection would rescan, and the default young-generation threshold (700)
runs a young collection every few requests (their cost: docs/benchmarks/gateway.md). A request's own
objects are freed by reference counting, so a threshold of 20,000 leaves one young collection per
thousands of requests. Both are
undone on exit, so that an app stopped in a longer-lived process (tests) leaves the collector as it was.

A corpus job (``embed_corpus``): a part is thousands of rows, each a few small objects, with no reference
cycles worth collecting promptly; default collections, walking every object of the process now and then,
cost a re-run from the embedding cache much of its time (docs/benchmarks/embedding-cache.md).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 20_000


@contextmanager
def few_collections() -> Iterator[None]:
    """Freeze what exists now and raise the young generation's threshold, until the block ends."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
