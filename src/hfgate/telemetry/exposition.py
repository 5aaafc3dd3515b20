"""``/metrics`` text for one process or, with ``PROMETHEUS_MULTIPROC_DIR``, for all the workers.

prometheus-client reads ``PROMETHEUS_MULTIPROC_DIR`` when it is first imported, so a multi-worker
``hfgate serve`` must call :func:`prepare_multiprocess_dir` before the workers start.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir(workers: int) -> Path | None:
    """For ``workers`` > 1: an empty directory for the workers' metric files, exported in the environment.

    A directory the operator set is emptied (files of a previous run would add stale counts); with
    none set, a fresh temporary one is made. One worker needs none.
    """
    if workers <= 1:
        return None
    given = os.environ.get(MULTIPROC_ENV)
    path = Path(given) if given else Path(tempfile.mkdtemp(prefix="hfgate-metrics-"))
    if given:
        shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(path)
    return path


def render() -> tuple[bytes, str]:
    """The exposition body and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def worker_stopped() -> None:
    """Drop this worker's live gauges from the shared files (its counters stay counted)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
