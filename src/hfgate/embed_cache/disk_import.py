"""The disk tier's file of an earlier version (SQLite, ``embed-cache.db``), imported once into the
LMDB file that replaced it, then removed: an upgrade keeps what the cache held, with each entry's own
expiry; the newest are kept when they exceed the tier's size.

Several processes starting at once may each import it (the rows are the same, written again) and each
remove it; a file that cannot be read is renamed ``embed-cache.db.unreadable`` and left alone.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from pathlib import Path

import lmdb

from hfgate.embed_cache.disk_tier import DiskTier, stamp

log = logging.getLogger("hfgate.embed_cache")

OLD_FILE = "embed-cache.db"
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
    except (lmdb.Error, OSError) as exc:  # the new file failed: the old one stays for the next start
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


def _move(source: Path, target: Path) -> None:
    with contextlib.suppress(FileNotFoundError):  # another process moved it first
        source.replace(target)
