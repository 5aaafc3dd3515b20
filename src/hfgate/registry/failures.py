"""Database failures as hfgate errors: an unreachable database is a 503, a full disk a 507.

Both leave the registry as it was: every write is one transaction, and a failed transaction is rolled
back by the database (SQLite's journal, PostgreSQL's WAL), so a client may simply retry.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from hfgate.errors import HfGateError, RegistryUnavailableError, StorageFullError

_POSTGRES_DISK_FULL = "53100"


@contextmanager
def translated() -> Iterator[None]:
    """Re-raise the database's failures (not integrity errors: callers handle those) as hfgate errors."""
    try:
        yield
    except IntegrityError:
        raise
    except DBAPIError as exc:
        raise database_error(exc) from exc


def database_error(exc: DBAPIError) -> HfGateError:
    """The user-facing error for a failed database call."""
    if _disk_full(exc):
        return StorageFullError(
            "The endpoint registry cannot be written: the disk is full. Nothing was changed; free space on "
            "the volume of HFGATE_DATA_DIR (or the database's) and retry"
        )
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        return RegistryUnavailableError(
            f"The endpoint registry (database) is unreachable: {_first_line(exc)}. Nothing was changed; retry "
            "in a moment"
        )
    return HfGateError(f"The endpoint registry failed: {_first_line(exc)}")


def _disk_full(exc: DBAPIError) -> bool:
    original = exc.orig
    if isinstance(original, sqlite3.Error) and getattr(original, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return True
    if getattr(original, "sqlstate", None) == _POSTGRES_DISK_FULL:
        return True
    return isinstance(original, OSError) and original.errno == errno.ENOSPC


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
