"""Files: their bytes in a byte store (:mod:`hfgate.batches.blobs`), their metadata in the registry (``files``).

A file belongs to the key that uploaded it: any other key is told it does not exist (404). Bytes go to the
store in pieces as they come (never held whole in memory; a directory's file or an S3 object appears whole or
not at all); the row is written last, so a file is listed only once its bytes are all there. A batch input
(purpose ``batch``) is also held to ``HFGATE_BATCH_INPUT_MAX_BYTES`` and ``HFGATE_BATCH_INPUT_MAX_LINES`` as
it is copied. A file whose ``expires_at`` has passed is no longer shown; :meth:`FileStore.sweep` removes it,
bytes first, then its row (a sweep cut short leaves the row, and the next one finishes it).

Example:
    >>> store = FileStore(engine, DirectoryStore(tmp_path / "files"))
    >>> stored = store.add(key_id="k", purpose="batch", filename="in.jsonl", source=open("in.jsonl", "rb"))
    >>> with store.open(stored) as read:
    ...     read.read()
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import Engine, Row, delete, insert, or_, select

from hfgate.batches import shapes
from hfgate.batches.blobs import ByteStore
from hfgate.errors import BadRequestError, NotFoundError
from hfgate.registry.database import writing
from hfgate.registry.failures import translated
from hfgate.registry.schema import files

_PIECE = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class InputLimits:
    """What a batch input file may hold: its bytes and its lines (HFGATE_BATCH_INPUT_MAX_BYTES, _MAX_LINES)."""

    max_bytes: int
    max_lines: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredFile:
    file_id: str
    key_id: str
    purpose: str
    filename: str
    size: int
    created_at: int
    expires_at: int | None

    def object(self) -> dict[str, Any]:
        """OpenAI's file object."""
        return shapes.file_object(file_id=self.file_id, purpose=self.purpose, filename=self.filename,
                                  size=self.size, created_at=self.created_at, expires_at=self.expires_at)  # fmt: skip


class FileStore:
    """Files of every key, their bytes in ``blobs`` and listed in the registry."""

    def __init__(self, engine: Engine, blobs: ByteStore) -> None:
        self._engine = engine
        self._writer = writing(engine)
        self.blobs = blobs

    def add(
        self, *, key_id: str, purpose: str, filename: str, source: BinaryIO, expires_after: int | None = None,
        limits: InputLimits | None = None,
    ) -> StoredFile:  # fmt: skip
        """Copy ``source`` into the store (blocking: call it in a thread).

        Raises:
            BadRequestError: ``limits`` given and the file holds more bytes or lines, naming the setting.
        """
        return self._added(key_id=key_id, purpose=purpose, filename=filename, expires_after=expires_after,
                           pieces=_pieces(source, limits))  # fmt: skip

    def add_lines(
        self, *, key_id: str, purpose: str, filename: str, lines: Iterable[str], expires_after: int | None = None
    ) -> StoredFile:
        """A file of ``lines`` (each written with its newline): a batch's output or errors."""
        pieces = (line.encode() + b"\n" for line in lines)
        return self._added(key_id=key_id, purpose=purpose, filename=filename, expires_after=expires_after,
                           pieces=pieces)  # fmt: skip

    def get(self, file_id: str, *, key_id: str) -> StoredFile:
        """The file, if ``key_id`` uploaded it and it has not expired.

        Raises:
            NotFoundError: no such file of this key's.
        """
        with translated(), self._engine.connect() as conn:
            row = conn.execute(select(files).where(files.c.file_id == file_id, files.c.key_id == key_id)).first()
        if row is None or (row.expires_at is not None and row.expires_at <= time.time()):
            raise NotFoundError(f"No such File object: {file_id}", param="file_id")
        return _stored(row)

    def list(
        self, *, key_id: str, purpose: str | None = None, after: str | None = None, limit: int = 10000,
        newest_first: bool = True,
    ) -> list[StoredFile]:  # fmt: skip
        """The key's unexpired files in order of creation, those after the file ``after`` only."""
        order = (files.c.created_at.desc(), files.c.file_id.desc()) if newest_first else (
            files.c.created_at, files.c.file_id)  # fmt: skip
        query = select(files).where(files.c.key_id == key_id)
        query = query.where(or_(files.c.expires_at.is_(None), files.c.expires_at > int(time.time())))
        if purpose:
            query = query.where(files.c.purpose == purpose)
        if after:
            mark = self.get(after, key_id=key_id)
            before = (files.c.created_at < mark.created_at) | (
                (files.c.created_at == mark.created_at) & (files.c.file_id < mark.file_id))  # fmt: skip
            later = (files.c.created_at > mark.created_at) | (
                (files.c.created_at == mark.created_at) & (files.c.file_id > mark.file_id))  # fmt: skip
            query = query.where(before if newest_first else later)
        with translated(), self._engine.connect() as conn:
            return [_stored(row) for row in conn.execute(query.order_by(*order).limit(limit))]

    def delete(self, file_id: str, *, key_id: str) -> StoredFile:
        """Remove the file's bytes, then forget it.

        Raises:
            NotFoundError: no such file of this key's.
        """
        stored = self.get(file_id, key_id=key_id)
        self.blobs.remove(file_id)  # first: a store that fails leaves the row, and the delete can be asked again
        with translated(), self._writer.begin() as conn:
            conn.execute(delete(files).where(files.c.file_id == file_id))
        return stored

    def open(self, stored: StoredFile) -> BinaryIO:
        """A listed file's bytes, opened for reading (blocking; close it).

        Raises:
            FileBytesMissingError: the store has no bytes for it (replicas of a fleet that share no store).
            FileStoreUnavailableError: the S3 store cannot be used, naming the setting to fix.
        """
        return self.blobs.open(stored.file_id)

    def sweep(self, *, now: float | None = None, most: int = 1000) -> tuple[str, ...]:
        """Remove up to ``most`` files whose ``expires_at`` has passed, bytes then row; the ids removed."""
        moment = int(time.time() if now is None else now)
        query = select(files.c.file_id).where(files.c.expires_at.is_not(None), files.c.expires_at <= moment)
        with translated(), self._engine.connect() as conn:
            expired = tuple(row.file_id for row in conn.execute(query.order_by(files.c.expires_at).limit(most)))
        for file_id in expired:
            self.blobs.remove(file_id)
            with translated(), self._writer.begin() as conn:
                conn.execute(delete(files).where(files.c.file_id == file_id))
        return expired

    def _added(
        self, *, key_id: str, purpose: str, filename: str, expires_after: int | None, pieces: Iterable[bytes]
    ) -> StoredFile:
        file_id = shapes.new_id("file-")
        size = self.blobs.put(file_id, pieces)
        now = int(time.time())
        expires_at = None if expires_after is None else now + expires_after
        stored = StoredFile(file_id=file_id, key_id=key_id, purpose=purpose, filename=filename, size=size,
                            created_at=now, expires_at=expires_at)  # fmt: skip
        with translated(), self._writer.begin() as conn:
            conn.execute(insert(files).values(file_id=stored.file_id, key_id=key_id, purpose=purpose,
                                              filename=filename, bytes=stored.size, created_at=now,
                                              expires_at=stored.expires_at))  # fmt: skip
        return stored


def streamed(opened: BinaryIO) -> Iterator[bytes]:
    """A file :meth:`FileStore.open` opened, a piece at a time, closed at the end: a streamed response's body
    (Starlette reads a plain iterator in a thread)."""
    with opened:
        while piece := opened.read(_PIECE):
            yield piece


def _pieces(source: BinaryIO, limits: InputLimits | None) -> Iterator[bytes]:
    """``source``'s bytes in pieces; a batch input held to ``limits`` as they pass."""
    if limits is None:
        while piece := source.read(_PIECE):
            yield piece
        return
    size = lines = 0
    last = b"\n"
    while piece := source.read(_PIECE):
        size += len(piece)
        lines += piece.count(b"\n")
        last = piece[-1:]
        if size > limits.max_bytes:
            raise BadRequestError(
                f"a batch input file may hold at most [{limits.max_bytes}] bytes (HFGATE_BATCH_INPUT_MAX_BYTES); "
                "split it into several batches", param="file")  # fmt: skip
        yield piece
    lines += last != b"\n"
    if lines > limits.max_lines:
        raise BadRequestError(
            f"a batch input file may hold at most [{limits.max_lines}] requests, this one has [{lines}] lines "
            "(HFGATE_BATCH_INPUT_MAX_LINES); split it into several batches", param="file")  # fmt: skip


def _stored(row: Row[Any]) -> StoredFile:
    return StoredFile(file_id=row.file_id, key_id=row.key_id, purpose=row.purpose, filename=row.filename,
                      size=row.bytes, created_at=row.created_at, expires_at=row.expires_at)  # fmt: skip
