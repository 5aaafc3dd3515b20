"""Batches in the registry: a row per batch (``batches``) and a row per input line (``batch_lines``).

A batch is written whole with its lines in one transaction, after its input file was read and checked: it
starts ``in_progress``, or ``failed`` with the lines at fault in ``errors`` (its ``validating`` passes inside
that request). A batch belongs to the key that made it: any other key is told it does not exist (404).
``request_counts`` and ``usage`` are counted from the lines' results whenever the batch is read, so they are
exact.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine, Row, case, delete, func, insert, select, update

from hfgate.batches import shapes
from hfgate.batches.input import ReadInput
from hfgate.errors import NotFoundError
from hfgate.registry.database import writing
from hfgate.registry.failures import translated
from hfgate.registry.schema import batch_lines, batches

WINDOW_SECONDS = {"24h": 24 * 3600}
"""The completion windows a batch may ask for (OpenAI's one), in seconds."""

_INSERT_ROWS = 1000

LineResults = list[tuple[str, bool | None, str | None]]
"""Each line's ``custom_id``, whether it succeeded and its result (``None``, ``None``: never run)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredBatch:
    batch_id: str
    key_id: str
    endpoint: str
    input_file_id: str
    completion_window: str
    status: str
    metadata: dict[str, str] | None
    errors: list[dict[str, Any]] | None
    output_file_id: str | None
    error_file_id: str | None
    times: dict[str, int]
    created_at: int
    expires_at: int
    output_expires_after: int | None = None
    """Seconds after their creation that the output and error files expire (OpenAI's ``output_expires_after``)."""

    def object(self, progress: Progress) -> dict[str, Any]:
        """OpenAI's batch object."""
        return {
            "id": self.batch_id, "object": "batch", "endpoint": self.endpoint,
            "errors": shapes.error_list(self.errors), "input_file_id": self.input_file_id,
            "completion_window": self.completion_window, "status": self.status,
            "output_file_id": self.output_file_id, "error_file_id": self.error_file_id,
            "created_at": self.created_at, "expires_at": self.expires_at,
            **{name: self.times.get(name) for name in shapes.TIMESTAMPS},
            "request_counts": progress.request_counts, "usage": progress.usage, "metadata": self.metadata,
        }  # fmt: skip


class BatchStore:
    """Every key's batches and their lines, in the registry (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = writing(engine)

    def create(
        self, *, key_id: str, endpoint: str, input_file_id: str, completion_window: str,
        metadata: dict[str, str] | None, read: ReadInput, prefix: str = "batch_",
        output_expires_after: int | None = None,
    ) -> StoredBatch:  # fmt: skip
        """The batch with its lines (``in_progress``), or ``failed`` with ``read.errors``; its id ``prefix``
        and a random part (``msgbatch_`` on Anthropic's face)."""
        now = int(time.time())
        batch_id = shapes.new_id(prefix)
        status = "failed" if read.errors else "in_progress"
        row = {"batch_id": batch_id, "key_id": key_id, "endpoint": endpoint, "input_file_id": input_file_id,
               "completion_window": completion_window, "status": status,
               "metadata": None if metadata is None else orjson.dumps(metadata).decode(),
               "errors": orjson.dumps(read.errors).decode() if read.errors else None,
               "times": orjson.dumps({f"{status}_at": now}).decode(), "created_at": now,
               "expires_at": now + WINDOW_SECONDS[completion_window],
               "output_expires_after": output_expires_after}  # fmt: skip
        requests = [] if read.errors else read.requests
        lines = [{"batch_id": batch_id, "line": r.line, "custom_id": r.custom_id, "body": r.body} for r in requests]
        with translated(), self._writer.begin() as conn:
            conn.execute(insert(batches).values(**row))
            for start in range(0, len(lines), _INSERT_ROWS):
                conn.execute(insert(batch_lines), lines[start : start + _INSERT_ROWS])
        return self.get(batch_id, key_id=key_id)

    def get(self, batch_id: str, *, key_id: str) -> StoredBatch:
        """The batch, if ``key_id`` made it.

        Raises:
            NotFoundError: no such batch of this key's.
        """
        with translated(), self._engine.connect() as conn:
            row = conn.execute(select(batches).where(batches.c.batch_id == batch_id)).first()
        if row is None or row.key_id != key_id:
            raise NotFoundError(f"No batch found with id '{batch_id}'.", param="batch_id")
        return stored_batch(row)

    def list(
        self, *, key_id: str, after: str | None, limit: int, before: str | None = None, endpoint: str | None = None,
        endpoint_prefix: str | None = None,
    ) -> list[StoredBatch]:  # fmt: skip
        """The key's batches, newest first: those older than the batch ``after`` only, or the ``limit`` just
        newer than the batch ``before`` (still newest first); of one ``endpoint``, or of the endpoints starting
        with ``endpoint_prefix`` (a Gemini batch's, one per model), if given."""
        b = batches.c
        query = select(batches).where(b.key_id == key_id)
        if endpoint is not None:
            query = query.where(b.endpoint == endpoint)
        if endpoint_prefix is not None:
            query = query.where(b.endpoint.startswith(endpoint_prefix, autoescape=True))
        if after:
            mark = self.get(after, key_id=key_id)
            query = query.where((b.created_at < mark.created_at) | (
                (b.created_at == mark.created_at) & (b.batch_id < mark.batch_id)))  # fmt: skip
        if before:
            mark = self.get(before, key_id=key_id)
            query = query.where((b.created_at > mark.created_at) | (
                (b.created_at == mark.created_at) & (b.batch_id > mark.batch_id)))  # fmt: skip
            query = query.order_by(b.created_at.asc(), b.batch_id.asc()).limit(limit)
            with translated(), self._engine.connect() as conn:
                return [stored_batch(row) for row in conn.execute(query)][::-1]
        query = query.order_by(b.created_at.desc(), b.batch_id.desc()).limit(limit)
        with translated(), self._engine.connect() as conn:
            return [stored_batch(row) for row in conn.execute(query)]

    def lines(self, batch_id: str) -> LineResults:
        """Each line's ``custom_id``, whether it succeeded and its result, in the input's order."""
        line = batch_lines.c
        query = select(line.custom_id, line.ok, line.result).where(line.batch_id == batch_id).order_by(line.line)
        with translated(), self._engine.connect() as conn:
            return [(str(custom_id), ok, result) for custom_id, ok, result in conn.execute(query)]

    def delete(self, batch_id: str, *, key_id: str) -> StoredBatch:
        """Forget the batch and its lines (its files are the caller's to delete)."""
        stored = self.get(batch_id, key_id=key_id)
        with translated(), self._writer.begin() as conn:
            conn.execute(delete(batch_lines).where(batch_lines.c.batch_id == batch_id))
            conn.execute(delete(batches).where(batches.c.batch_id == batch_id))
        return stored

    def cancel(self, batch_id: str, *, key_id: str) -> StoredBatch:
        """``cancelling``: no more lines are started; the runner finishes it as ``cancelled``. A batch already
        over (or cancelling) is answered as it is."""
        stored = self.get(batch_id, key_id=key_id)
        if stored.status in ("in_progress", "validating"):
            times = {**stored.times, "cancelling_at": int(time.time())}
            with translated(), self._writer.begin() as conn:
                conn.execute(update(batches).where(batches.c.batch_id == batch_id, batches.c.status == stored.status)
                             .values(status="cancelling", times=orjson.dumps(times).decode()))  # fmt: skip
        return self.get(batch_id, key_id=key_id)

    def counts(self, batch_id: str) -> dict[str, int]:
        """``request_counts``: lines in all, answered 2xx, answered otherwise."""
        return self.progress(batch_id).request_counts

    def progress(self, batch_id: str) -> Progress:
        """``request_counts`` and ``usage``, counted from the lines' results in one query."""
        line = batch_lines.c
        ok = func.sum(case((line.ok.is_(True), 1), else_=0))
        failed = func.sum(case((line.ok.is_(False), 1), else_=0))
        query = select(func.count(), ok, failed, func.sum(line.input_tokens), func.sum(line.output_tokens))
        with translated(), self._engine.connect() as conn:
            total, completed, failures, given, written = conn.execute(query.where(line.batch_id == batch_id)).one()
        return Progress(
            request_counts=shapes.request_counts(total=total, completed=int(completed or 0), failed=int(failures or 0)),
            usage=shapes.usage(input_tokens=int(given or 0), output_tokens=int(written or 0)),
        )


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a batch is: ``request_counts`` and ``usage`` (the tokens of the answers recorded so far)."""

    request_counts: dict[str, int]
    usage: dict[str, Any]


def stored_batch(row: Row[Any]) -> StoredBatch:
    return StoredBatch(
        batch_id=row.batch_id, key_id=row.key_id, endpoint=row.endpoint, input_file_id=row.input_file_id,
        completion_window=row.completion_window, status=row.status,
        metadata=None if row.metadata is None else orjson.loads(row.metadata),
        errors=None if row.errors is None else orjson.loads(row.errors), output_file_id=row.output_file_id,
        error_file_id=row.error_file_id, times=orjson.loads(row.times), created_at=row.created_at,
        expires_at=row.expires_at, output_expires_after=row.output_expires_after,
    )  # fmt: skip
