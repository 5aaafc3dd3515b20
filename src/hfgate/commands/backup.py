"""``hfgate backup --to FILE``: a consistent copy of the SQLite registry, taken while hfgate runs.

Example:
    $ hfgate backup --to /backups/hfgate-$(date +%F).db
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from hfgate.commands.common import console, errors


def backup_command(
    to: Annotated[Path, typer.Option("--to", help="The backup file to write (must not exist).")],
) -> None:
    """Back up the SQLite registry (configured by HFGATE_* variables) with SQLite's online backup API."""
    from hfgate.config import Settings
    from hfgate.errors import HfGateError
    from hfgate.registry.backup import backup_sqlite

    try:
        size = backup_sqlite(Settings(), to)
    except HfGateError as exc:
        errors.print(f"[red]no backup:[/red] {escape(exc.reason)}")
        raise typer.Exit(2) from exc
    console.print(f"backed up the registry to {to} ({size} bytes); restore: stop hfgate and copy it back")
