"""One download per model and revision in this process, its state readable at any time.

A download runs in a daemon thread (``huggingface_hub`` is blocking; a thread that outlives shutdown
must not hold the interpreter open) and never in an HTTP worker: the endpoint exists while its model
comes, and requests meanwhile get a 503 saying how far it is. Between processes, ``huggingface_hub``'s
file locks make two replicas fetch each file once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hfgate.errors import HfGateError, StorageFullError
from hfgate.local.hub.fetch import Resolved, fetch, resolve
from hfgate.local.hub.progress import Bytes, Progress
from hfgate.local.hub.reference import HubModel
from hfgate.local.hub.snapshots import discard
from hfgate.local.hub.source import HubSource

log = logging.getLogger("hfgate.local.hub")

Phase = Literal["downloading", "failed", "downloaded"]
RETRY_FAILED_AFTER = 10.0  # seconds before a request may start a failed download again


@dataclass(frozen=True, slots=True, kw_only=True)
class DownloadState:
    """Where one model's download is: ``downloading`` (bytes so far of the total), ``failed`` (why),
    or ``downloaded``."""

    phase: Phase
    bytes: Bytes
    error: HfGateError | None = None

    def public(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"state": self.phase, "bytes_done": self.bytes.done, "bytes_total": self.bytes.total}
        return shown | ({"reason": self.error.reason} if self.error is not None else {})


@dataclass(slots=True, kw_only=True)
class _Job:
    done: Future[Path] = field(default_factory=Future)
    progress: Progress = field(default_factory=lambda: Progress({}))
    failed_at: float = 0.0

    def state(self) -> DownloadState:
        if not self.done.done():
            return DownloadState(phase="downloading", bytes=self.progress.now())
        error = self.done.exception()
        if error is None:
            return DownloadState(phase="downloaded", bytes=self.progress.now())
        reason = error if isinstance(error, HfGateError) else HfGateError(f"The download failed: {error!r}")
        return DownloadState(phase="failed", bytes=self.progress.now(), error=reason)


class HubDownloads:
    """The downloads of this process, by repository and revision (a commit, or a branch before the
    commit is known); a resource of the ``local`` service (``context.shared(HubDownloads)``)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._jobs: dict[tuple[str, str], _Job] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def start(
        self,
        source: HubSource,
        model: HubModel,
        *,
        revision: str | None,
        resolved: Resolved | None = None,
        gguf: str | None = None,
    ) -> Future[Path]:
        """The download of ``model`` at ``revision``: the one under way or done, else a new one (see
        ``_may_retry``)."""
        key = (model.repo_id, revision or "main")
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and not self._may_retry(job):
                return job.done
            job = self._jobs[key] = _Job()
        work = threading.Thread(
            target=self._run,
            args=(job, source, model),
            kwargs={"revision": revision, "resolved": resolved, "gguf": gguf},
            name=f"hub-download-{model.repo_id}",
            daemon=True,
        )
        work.start()
        return job.done

    def state(self, repo_id: str, revision: str | None) -> DownloadState | None:
        """The download's state, or ``None`` when this process never started one."""
        job = self._jobs.get((repo_id, revision or "main"))
        return None if job is None else job.state()

    def close(self) -> None:
        """Nothing to stop: downloads run in daemon threads, and a fetch cut short resumes next time."""

    def _may_retry(self, job: _Job) -> bool:
        """A failed download once :data:`RETRY_FAILED_AFTER` has passed; a finished one whose folder was
        removed since (the cache cleaned by hand): it is fetched again."""
        if not job.done.done():
            return False
        if job.done.exception() is not None:
            return self._clock() - job.failed_at >= RETRY_FAILED_AFTER
        return not job.done.result().is_dir()

    def _run(
        self,
        job: _Job,
        source: HubSource,
        model: HubModel,
        *,
        revision: str | None,
        resolved: Resolved | None,
        gguf: str | None,
    ) -> None:
        plan = resolved
        try:
            plan = plan or resolve(source, model, revision=revision, gguf=gguf)
            job.progress = Progress(plan.sizes)
            path = fetch(source, plan, progress=job.progress)
        except BaseException as exc:
            job.failed_at = self._clock()
            if isinstance(exc, StorageFullError) and plan is not None:
                discard(source, model.repo_id, plan.commit)  # no half model left behind
            log.warning(
                "model download failed",
                extra={"event": "model.download.fail", "model": model.repo_id, "reason": str(exc)},
            )
            job.done.set_exception(exc)
            return
        log.info("model downloaded", extra={"event": "model.download", "model": model.repo_id, "path": str(path)})
        job.done.set_result(path)
