"""What the batches page computes of a batch: its pace since it started and the finish that pace gives."""

from __future__ import annotations

from hfgate.api.ui.batch_view import batch_row
from hfgate.batches.store import Progress, StoredBatch

STARTED = 1_800_000_000


def _batch(status: str) -> StoredBatch:
    return StoredBatch(batch_id="batch_a", key_id="k", endpoint="/v1/embeddings", input_file_id="file-a",
                       completion_window="24h", status=status, metadata=None, errors=None, output_file_id=None,
                       error_file_id=None, times={"in_progress_at": STARTED}, created_at=STARTED,
                       expires_at=STARTED + 86400)  # fmt: skip


def _progress(completed: int, failed: int, total: int = 100) -> Progress:
    return Progress(request_counts={"total": total, "completed": completed, "failed": failed}, usage={})


def test_a_running_batch_has_a_pace_and_a_finish_from_it() -> None:
    row = batch_row(_batch("in_progress"), _progress(20, 5), now=STARTED + 100)  # started 08:00:00 UTC
    assert (row.done, row.lines_per_second, row.running, row.cancellable) == (25, 0.25, True, True)
    assert row.finish == "2027-01-15 08:06"  # 75 lines left at 0.25 a second: 300 s after 08:01:40


def test_no_pace_before_a_line_is_answered_nor_once_the_batch_is_over() -> None:
    assert batch_row(_batch("in_progress"), _progress(0, 0), now=STARTED + 10).finish is None
    over = batch_row(_batch("completed"), _progress(100, 0), now=STARTED + 60)
    assert (over.lines_per_second, over.finish, over.running, over.cancellable) == (None, None, False, False)
    assert batch_row(_batch("cancelling"), _progress(3, 0), now=STARTED + 1).cancellable is False
