"""Files: their bytes in a directory (``data_dir/files``), their metadata in the registry (``files``).

A file belongs to the key that uploaded it: any other key is told it does not exist (404). Bytes are copied
to disk in pieces as they come (never held whole in memory), into ``<id>.part``, then renamed; the row is
written last, so a file is listed only once its bytes are all there. A batch input (purpose ``batch``) is
also held to ``HFGATE_BATCH_INPUT_MAX_BYTES`` and ``HFGATE_BATCH_INPUT_MAX_LINES`` as it is copied.

Example:
    >>> store = FileStore(engine, tmp_path / "files")
    >>> stored = store.add(key_id="k", purpose="batch", filename="in.jsonl", source=open("in.jsonl", "rb"))
    >>> store.path(stored.file_id).read_bytes()
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Engine, Row, delete, insert, or_, select

from hfgate.batches import shapes
from hfgate.errors import BadRequestError, FileBytesMissingError, NotFoundError
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
    """Files of every key, on disk under ``directory`` and listed in the registry."""

    def __init__(self, engine: Engine, directory: Path) -> None:
        self._engine = engine
        self._writer = writing(engine)
        self.directory = directory

    def add(
        self, *, key_id: str, purpose: str, filename: str, source: BinaryIO, expires_after: int | None = None,
        limits: InputLimits | None = None,
    ) -> StoredFile:  # fmt: skip
        """Copy ``source`` into the store (blocking: call it in a thread).

        Raises:
            BadRequestError: ``limits`` given and the file holds more bytes or lines, naming the setting.
        """
        return self._added(key_id=key_id, purpose=purpose, filename=filename, expires_after=expires_after,
                           write=lambda target: _copy(source, target, limits))  # fmt: skip

    def add_lines(self, *, key_id: str, purpose: str, filename: str, lines: Iterable[str]) -> StoredFile:
        """A file of ``lines`` (each written with its newline): a batch's output or errors."""

        def write(target: BinaryIO) -> None:
            for line in lines:
                target.write(line.encode() + b"\n")

        return self._added(key_id=key_id, purpose=purpose, filename=filename, expires_after=None, write=write)

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
        """Forget the file and remove its bytes.

        Raises:
            NotFoundError: no such file of this key's.
        """
        stored = self.get(file_id, key_id=key_id)
        with translated(), self._writer.begin() as conn:
            conn.execute(delete(files).where(files.c.file_id == file_id))
        self.path(file_id).unlink(missing_ok=True)
        return stored

    def path(self, file_id: str) -> Path:
        """Where the file's bytes are."""
        return self.directory / file_id

    def bytes_of(self, stored: StoredFile) -> Path:
        """The path of a listed file's bytes.

        Raises:
            FileBytesMissingError: they are not in this replica's directory (a fleet that shares no directory).
        """
        path = self.path(stored.file_id)
        if not path.is_file():
            raise FileBytesMissingError(
                f"the bytes of file [{stored.file_id}] are not in this replica's file directory [{self.directory}] "
                "(HFGATE_BATCH_FILES_DIR): in a fleet, every replica must mount the same directory"
            )
        return path

    def _added(
        self, *, key_id: str, purpose: str, filename: str, expires_after: int | None, write: Callable[[BinaryIO], None]
    ) -> StoredFile:
        self.directory.mkdir(parents=True, exist_ok=True)
        file_id = shapes.new_id("file-")
        part = self.directory / f"{file_id}.part"
        try:
            with part.open("wb") as target:
                write(target)
                target.flush()
                os.fsync(target.fileno())
            part.rename(self.path(file_id))
        finally:
            part.unlink(missing_ok=True)
        now = int(time.time())
        stored = StoredFile(file_id=file_id, key_id=key_id, purpose=purpose, filename=filename,
                            size=self.path(file_id).stat().st_size, created_at=now,
                            expires_at=None if expires_after is None else now + expires_after)  # fmt: skip
        with translated(), self._writer.begin() as conn:
            conn.execute(insert(files).values(file_id=stored.file_id, key_id=key_id, purpose=purpose,
                                              filename=filename, bytes=stored.size, created_at=now,
                                              expires_at=stored.expires_at))  # fmt: skip
        return stored


def _copy(source: BinaryIO, target: BinaryIO, limits: InputLimits | None) -> None:
    if limits is None:
        shutil.copyfileobj(source, target, _PIECE)
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
        target.write(piece)
    lines += last != b"\n"
    if lines > limits.max_lines:
        raise BadRequestError(
            f"a batch input file may hold at most [{limits.max_lines}] requests, this one has [{lines}] lines "
            "(HFGATE_BATCH_INPUT_MAX_LINES); split it into several batches", param="file")  # fmt: skip


def _stored(row: Row[Any]) -> StoredFile:
    return StoredFile(file_id=row.file_id, key_id=row.key_id, purpose=row.purpose, filename=row.filename,
                      size=row.bytes, created_at=row.created_at, expires_at=row.expires_at)  # fmt: skip
