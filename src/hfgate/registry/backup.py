"""A consistent copy of the SQLite registry while hfgate runs (sqlite3's online backup API).

PostgreSQL has its own tools (``pg_dump``, ``psql``); :func:`backup_sqlite` refuses its URLs and says so.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hfgate.config import Settings
from hfgate.errors import BadRequestError

_PAGES_PER_STEP = 1024  # copy in steps, so writers are blocked for one step at a time, never the whole copy


def sqlite_path(settings: Settings) -> Path:
    """The SQLite file of the registry.

    Raises:
        BadRequestError: the registry is on PostgreSQL (back it up with pg_dump).
    """
    url = settings.database_url_resolved
    if not url.startswith("sqlite:///"):
        raise BadRequestError(
            "The registry is on PostgreSQL (HFGATE_DATABASE_URL): back it up with pg_dump, e.g. "
            '`pg_dump --no-owner --no-privileges -f hfgate.sql "$HFGATE_DATABASE_URL"` (see docs/upgrades.md)'
        )
    return Path(url.removeprefix("sqlite:///"))


def backup_sqlite(settings: Settings, target: Path) -> int:
    """Copy the SQLite registry to ``target`` (a new file) while others may write; returns its size in bytes.

    Raises:
        BadRequestError: the registry is on PostgreSQL, it does not exist, or ``target`` exists already.
    """
    source = sqlite_path(settings)
    if not source.exists():
        raise BadRequestError(f"No registry database at {source}: check HFGATE_DATA_DIR or HFGATE_DATABASE_URL")
    if target.exists():
        raise BadRequestError(f"{target} exists already: give --to a new file name (a backup never overwrites)")
    reader = sqlite3.connect(source)
    writer = sqlite3.connect(target)
    try:
        reader.backup(writer, pages=_PAGES_PER_STEP)
    finally:
        writer.close()
        reader.close()
    return target.stat().st_size
