"""The disk tier's files of earlier versions, imported once into the log that replaced them, then
removed: an upgrade keeps what the cache held, with each entry's own expiry; the newest written are
kept when they exceed the tier's size. Two earlier files: an LMDB file (``embed-cache.mdb``, until
2026-11-25) and, before it, SQLite (``embed-cache.db``).

Several processes starting at once may each import one (the rows are the same, written again) and each
remove it; a file that cannot be read is renamed ``….unreadable`` and left alone.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Generator
from pathlib import Path

import lmdb

from hfgate.embed_cache.disk_tier import DiskTier, now_micros, stamp

log = logging.getLogger("hfgate.embed_cache")

OLD_FILE = "embed-cache.db"
LMDB_FILE = "embed-cache.mdb"
# beside the LMDB file: its lock, its writers' lock and its key filter
_LMDB_PARTS = ("-lock", "-writer", "-filter")
_BATCH = 1000
# a row to import: key, vector, expiry stamp
_Row = tuple[str, bytes, bytes]


def import_old_file(old: Path, tier: DiskTier) -> int:
    """Copy the SQLite file ``old``'s live entries into ``tier``, then remove it; how many were copied."""
    leftovers = (old, old.with_name(old.name + "-wal"), old.with_name(old.name + "-shm"))
    return _import(old, tier, what="SQLite", batches=_sqlite_batches, unreadable=(sqlite3.Error,), leftovers=leftovers)


def import_lmdb_file(old: Path, tier: DiskTier) -> int:
    """Copy the LMDB file ``old``'s live entries into ``tier``, then remove it and the files beside it;
    how many were copied."""
    leftovers = (old, *(Path(f"{old}{part}") for part in _LMDB_PARTS))
    unreadable = (lmdb.Error, UnicodeDecodeError)
    return _import(old, tier, what="LMDB", batches=_lmdb_batches, unreadable=unreadable, leftovers=leftovers)


def _import(
    old: Path,
    tier: DiskTier,
    *,
    what: str,
    batches: Callable[[Path], Generator[list[_Row], None, None]],
    unreadable: tuple[type[Exception], ...],
    leftovers: tuple[Path, ...],
) -> int:
    """Copy the rows ``batches`` reads from ``old`` into ``tier``, then remove ``leftovers``. When the tier
    fails, ``old`` stays for the next start; when ``old`` cannot be read (``unreadable``), it is renamed
    ``.unreadable``. How many rows were copied."""
    if not old.exists():
        return 0
    started, copied = time.monotonic(), 0
    log.info(
        f"importing the embedding cache's earlier {what} file",
        extra={"event": "embed_cache.import.start", "file": str(old)},
    )
    try:
        with contextlib.closing(batches(old)) as reading:
            for batch in reading:
                tier.import_rows(batch)
                copied += len(batch)
    except OSError as exc:  # the new tier failed: the old file stays for the next start
        log.warning(
            f"the embedding cache's earlier {what} file could not be imported; tried again at the next start",
            extra={"event": "embed_cache.import.failed", "file": str(old), "copied": copied, "error": repr(exc)},
        )
        return copied
    except unreadable as exc:
        log.warning(
            f"the embedding cache's earlier {what} file cannot be read; it is left as .unreadable",
            extra={"event": "embed_cache.import.failed", "file": str(old), "error": repr(exc)},
        )
        _move(old, old.with_name(old.name + ".unreadable"))
        return copied
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    log.info(
        f"imported the embedding cache's earlier {what} file",
        extra={"event": "embed_cache.import.done", "entries": copied, "seconds": round(time.monotonic() - started, 2)},
    )
    return copied


def _sqlite_batches(old: Path) -> Generator[list[_Row], None, None]:
    """The live rows of the SQLite file (``embed-cache.db``), in the order written (rowid)."""
    db = sqlite3.connect(old, isolation_level=None, timeout=5.0)
    try:
        rows = db.execute("SELECT key, value, expires FROM vectors WHERE expires > ?", (time.time(),))
        while batch := rows.fetchmany(_BATCH):
            yield [(str(key), bytes(value), stamp(float(expires))) for key, value, expires in batch]
    finally:
        db.close()


def _lmdb_batches(old: Path) -> Generator[list[_Row], None, None]:
    """The live rows of the LMDB file (``embed-cache.mdb``: a key to its expiry stamp and vector), read
    under LMDB's own lock when its lock file is there (an older hfgate still writing it during a rolling
    upgrade: a consistent snapshot)."""
    now = now_micros()
    env = lmdb.open(str(old), subdir=False, readonly=True, lock=Path(f"{old}-lock").exists(), max_dbs=3)
    try:
        with env.begin() as txn:
            batch: list[_Row] = []
            for key, value in txn.cursor(db=env.open_db(b"vectors", txn=txn, create=False)).iternext():
                if len(value) >= 8 and int.from_bytes(value[:8], "big") > now:
                    batch.append((bytes(key).decode("utf-8", "surrogatepass"), bytes(value[8:]), bytes(value[:8])))
                if len(batch) == _BATCH:
                    yield batch
                    batch = []
            yield batch
    finally:
        env.close()


def _move(source: Path, target: Path) -> None:
    with contextlib.suppress(FileNotFoundError):  # another process moved it first
        source.replace(target)
