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
from pathlib import Path

import lmdb

from hfgate.embed_cache.disk_tier import DiskTier, now_micros, stamp

log = logging.getLogger("hfgate.embed_cache")

OLD_FILE = "embed-cache.db"
LMDB_FILE = "embed-cache.mdb"
# beside the LMDB file: its lock, its writers' lock and its key filter
_LMDB_PARTS = ("-lock", "-writer", "-filter")
_BATCH = 1000


def import_old_file(old: Path, tier: DiskTier) -> int:
    """Copy ``old``'s live entries into ``tier``, then remove ``old``; how many were copied."""
    if not old.exists():
        return 0
    started, copied = time.monotonic(), 0
    log.info(
        "importing the embedding cache's earlier file", extra={"event": "embed_cache.import.start", "file": str(old)}
    )
    try:
        db = sqlite3.connect(old, isolation_level=None, timeout=5.0)
        try:
            # in the order written (rowid); the tier keeps the newest expiries when they exceed its size
            rows = db.execute("SELECT key, value, expires FROM vectors WHERE expires > ?", (time.time(),))
            while batch := rows.fetchmany(_BATCH):
                tier.import_rows([(str(key), bytes(value), stamp(float(expires))) for key, value, expires in batch])
                copied += len(batch)
        finally:
            db.close()
    except OSError as exc:  # the new tier failed: the old file stays for the next start
        log.warning(
            "the embedding cache's earlier file could not be imported; tried again at the next start",
            extra={"event": "embed_cache.import.failed", "file": str(old), "copied": copied, "error": repr(exc)},
        )
        return copied
    except sqlite3.Error as exc:
        log.warning(
            "the embedding cache's earlier file cannot be read; it is left as .unreadable",
            extra={"event": "embed_cache.import.failed", "file": str(old), "error": repr(exc)},
        )
        _move(old, old.with_name(old.name + ".unreadable"))
        return copied
    for leftover in (old, old.with_name(old.name + "-wal"), old.with_name(old.name + "-shm")):
        leftover.unlink(missing_ok=True)
    log.info(
        "imported the embedding cache's earlier file",
        extra={"event": "embed_cache.import.done", "entries": copied, "seconds": round(time.monotonic() - started, 2)},
    )
    return copied


def import_lmdb_file(old: Path, tier: DiskTier) -> int:
    """Copy the LMDB file ``old``'s live entries into ``tier``, then remove it and the files beside it;
    how many were copied. Read under LMDB's own lock when its lock file is there (an older hfgate still
    writing it during a rolling upgrade: a consistent snapshot)."""
    if not old.exists():
        return 0
    started, copied, now = time.monotonic(), 0, now_micros()
    log.info("importing the embedding cache's LMDB file", extra={"event": "embed_cache.import.start", "file": str(old)})
    try:
        locked = Path(f"{old}-lock").exists()
        env = lmdb.open(str(old), subdir=False, readonly=True, lock=locked, max_dbs=3)
        try:
            with env.begin() as txn:
                cursor = txn.cursor(db=env.open_db(b"vectors", txn=txn, create=False))
                batch: list[tuple[str, bytes, bytes]] = []
                for key, value in cursor.iternext():
                    if len(value) >= 8 and int.from_bytes(value[:8], "big") > now:
                        batch.append((bytes(key).decode("utf-8", "surrogatepass"), bytes(value[8:]), bytes(value[:8])))
                    if len(batch) == _BATCH:
                        tier.import_rows(batch)
                        copied, batch = copied + len(batch), []
                tier.import_rows(batch)
                copied += len(batch)
        finally:
            env.close()
    except OSError as exc:  # the new tier failed: the old file stays for the next start
        log.warning(
            "the embedding cache's LMDB file could not be imported; tried again at the next start",
            extra={"event": "embed_cache.import.failed", "file": str(old), "copied": copied, "error": repr(exc)},
        )
        return copied
    except (lmdb.Error, UnicodeDecodeError) as exc:
        log.warning(
            "the embedding cache's LMDB file cannot be read; it is left as .unreadable",
            extra={"event": "embed_cache.import.failed", "file": str(old), "error": repr(exc)},
        )
        _move(old, old.with_name(old.name + ".unreadable"))
        return copied
    for leftover in (old, *(Path(f"{old}{part}") for part in _LMDB_PARTS)):
        leftover.unlink(missing_ok=True)
    log.info(
        "imported the embedding cache's LMDB file",
        extra={"event": "embed_cache.import.done", "entries": copied, "seconds": round(time.monotonic() - started, 2)},
    )
    return copied


def _move(source: Path, target: Path) -> None:
    with contextlib.suppress(FileNotFoundError):  # another process moved it first
        source.replace(target)
