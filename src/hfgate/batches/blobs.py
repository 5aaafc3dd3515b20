"""Where the Files API's bytes are kept: a byte store, named by the file's id.

Two stores speak the same small protocol (:class:`ByteStore`): :class:`DirectoryStore`, a directory
(``HFGATE_BATCH_FILES_DIR``, default ``data_dir/files``; in a fleet, one every replica mounts), and
:class:`~hfgate.batches.s3.S3Store`, an S3-compatible bucket every replica reaches
(``HFGATE_BATCH_FILES_URL=s3://bucket/prefix``). :func:`byte_store` picks one from the settings. Bytes go in
as an iterable of pieces and come out as a file opened for reading: neither store holds a whole file.

Example:
    >>> store = DirectoryStore(tmp_path / "files")
    >>> store.put("file-1", [b'{"a": 1}\\n', b'{"b": 2}\\n'])
    18
    >>> with store.open("file-1") as read:
    ...     read.readline()
    b'{"a": 1}\\n'
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Protocol

from hfgate.config import Settings
from hfgate.errors import FileBytesMissingError


class ByteStore(Protocol):
    """Bytes by name: written once, read, removed (every method blocks: call it in a thread)."""

    def put(self, name: str, pieces: Iterable[bytes]) -> int:
        """Store the concatenated ``pieces`` under ``name`` (whole or not at all); their size in bytes."""
        ...

    def open(self, name: str) -> BinaryIO:
        """The bytes under ``name``, opened for reading (close it; ``with`` does).

        Raises:
            FileBytesMissingError: nothing under ``name`` here, naming the setting to check.
        """
        ...

    def remove(self, name: str) -> None:
        """Forget ``name``'s bytes; nothing there is no error."""
        ...


class DirectoryStore:
    """Bytes in files of ``directory``: written to ``<name>.part`` then renamed, so none is seen half written."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, name: str, pieces: Iterable[bytes]) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        part = self.directory / f"{name}.part"
        size = 0
        try:
            with part.open("wb") as target:
                for piece in pieces:
                    target.write(piece)
                    size += len(piece)
                target.flush()
                os.fsync(target.fileno())
            part.rename(self.directory / name)
        finally:
            part.unlink(missing_ok=True)
        return size

    def open(self, name: str) -> BinaryIO:
        try:
            return (self.directory / name).open("rb")
        except FileNotFoundError:
            raise FileBytesMissingError(
                f"the bytes of file [{name}] are not in this replica's file directory [{self.directory}] "
                "(HFGATE_BATCH_FILES_DIR): in a fleet, every replica must mount the same directory, or keep files "
                "in an object store (HFGATE_BATCH_FILES_URL=s3://bucket/prefix)"
            ) from None

    def remove(self, name: str) -> None:
        (self.directory / name).unlink(missing_ok=True)


def byte_store(settings: Settings) -> ByteStore:
    """The store the settings name: the S3 bucket of ``batch_files_url``, else the directory."""
    if settings.batch_files_url:
        from hfgate.batches.s3 import S3Store  # boto3 only where a bucket is asked for

        return S3Store(settings.batch_files_url, endpoint_url=settings.batch_files_endpoint_url,
                       region=settings.batch_files_region)  # fmt: skip
    return DirectoryStore(settings.batch_files_dir_resolved)
