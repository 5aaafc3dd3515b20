"""What the batches page shows of each batch: its counts as a share, its pace and when it should end."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from hfgate.batches.store import Progress, StoredBatch

RUNNING = ("validating", "in_progress", "finalizing", "cancelling")
"""The statuses of a batch that is not over: the page refreshes itself while one is shown."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchRow:
    batch_id: str
    endpoint: str
    status: str
    total: int
    completed: int
    failed: int
    created: str
    lines_per_second: float | None
    finish: str | None
    output_file_id: str | None
    error_file_id: str | None

    @property
    def done(self) -> int:
        return self.completed + self.failed

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    @property
    def cancellable(self) -> bool:
        return self.status in ("validating", "in_progress")


def batch_row(stored: StoredBatch, progress: Progress, *, now: float | None = None) -> BatchRow:
    """The row of ``stored``: its pace is the lines answered since it started over the time since then, and
    its finish that pace carried over the lines left (none before a line is answered, or once it is over).

    Example:
        >>> batch_row(stored, progress, now=started + 10).lines_per_second  # 25 of 100 lines in 10 s
        2.5
    """
    now = time.time() if now is None else now
    counts = progress.request_counts
    done = counts["completed"] + counts["failed"]
    started = stored.times.get("in_progress_at", stored.created_at)
    rate = done / (now - started) if done and now > started and stored.status in RUNNING else None
    left = counts["total"] - done
    finish = None if rate is None or not left else _clock(now + left / rate)
    return BatchRow(
        batch_id=stored.batch_id, endpoint=stored.endpoint, status=stored.status, total=counts["total"],
        completed=counts["completed"], failed=counts["failed"], created=_clock(stored.created_at),
        lines_per_second=rate, finish=finish, output_file_id=stored.output_file_id,
        error_file_id=stored.error_file_id,
    )  # fmt: skip


def _clock(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M")
