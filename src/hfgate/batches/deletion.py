"""A batch deleted with its files: its row and its lines, then the input, output and error files it read and made
(what Anthropic's and Gemini's delete do; OpenAI's batches are not deleted, their files are, one by one)."""

from __future__ import annotations

import contextlib

from hfgate.batches.files import FileStore
from hfgate.batches.store import BatchStore, StoredBatch
from hfgate.errors import NotFoundError


def delete_batch(batches: BatchStore, files: FileStore, stored: StoredBatch) -> None:
    """Forget ``stored`` and remove its files (blocking: call it in a thread); a file already gone is skipped."""
    batches.delete(stored.batch_id, key_id=stored.key_id)
    for file_id in (stored.input_file_id, stored.output_file_id, stored.error_file_id):
        if file_id is not None:
            with contextlib.suppress(NotFoundError):
                files.delete(file_id, key_id=stored.key_id)
