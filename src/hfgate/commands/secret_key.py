"""``hfgate secret-key generate|rotate``: make a key, and replace the fleet's key without downtime.

Rotation runs against the registry database directly (configured by ``HFGATE_*`` variables, like
``hfgate serve``), while the replicas keep serving.

Example:
    $ export HFGATE_SECRET_KEY_PREVIOUS=$HFGATE_SECRET_KEY HFGATE_SECRET_KEY=$(hfgate secret-key generate)
    $ # ...a rolling restart of every replica with both variables, then:
    $ hfgate secret-key rotate --dry-run
    $ hfgate secret-key rotate
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.markup import escape

from hfgate.commands.common import console, errors

if TYPE_CHECKING:
    from hfgate.registry.rotation import Batch, Census
    from hfgate.registry.secrets import SecretBox

secret_key_app = typer.Typer(help="Make a secret key, and rotate the fleet's key online.", no_args_is_help=True)

BatchOpt = Annotated[int, typer.Option("--batch-size", min=1, help="Rows re-encrypted per transaction.")]


@secret_key_app.command("generate")
def generate() -> None:
    """Print a new random key for HFGATE_SECRET_KEY (a Fernet key); keep it in your secret manager."""
    from cryptography.fernet import Fernet

    console.print(Fernet.generate_key().decode(), soft_wrap=True)


@secret_key_app.command("rotate")
def rotate_command(
    batch_size: BatchOpt = 100,
    *,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count the secrets on each key; change nothing.")] = False,
    pause: Annotated[float, typer.Option(min=0, help="Seconds to wait between batches, to spare the database.")] = 0.0,
) -> None:
    """Re-encrypt every stored secret with the new key, online; run it again after an interruption.

    Reads with HFGATE_SECRET_KEY_PREVIOUS (the old key), writes with HFGATE_SECRET_KEY (the new one), then
    records the new key as the fleet's.
    """
    from hfgate.config import Settings
    from hfgate.errors import HfGateError
    from hfgate.registry.database import make_engine
    from hfgate.registry.key_check import recorded_fingerprint
    from hfgate.registry.rotation import census, check_keys, rotate
    from hfgate.registry.secrets import SecretBox

    settings = Settings()
    if settings.secret_key is None:
        _fail("HFGATE_SECRET_KEY is not set: put the new key in it (hfgate secret-key generate makes one), and the "
              "fleet's current key in HFGATE_SECRET_KEY_PREVIOUS.")  # fmt: skip
    engine = make_engine(settings)
    box = SecretBox.from_settings(settings)
    try:
        check_keys(engine, box)
        if dry_run:
            _say_census(census(engine, box, batch_size=batch_size), recorded=recorded_fingerprint(engine), box=box)
            return
        total = rotate(engine, box, batch_size=batch_size, pause=pause, report=_say_batch)
    except HfGateError as exc:
        _fail(exc.reason)
    finally:
        engine.dispose()
    console.print(f"rotated: {total} secrets re-encrypted; the database now records the new key "
                  f"[{box.fingerprint}]. Drop HFGATE_SECRET_KEY_PREVIOUS with a rolling restart.")  # fmt: skip


def _say_census(counts: Census, *, recorded: str | None, box: SecretBox) -> None:
    unreadable = f" ({', '.join(counts.unreadable)})" if counts.unreadable else ""
    console.print(
        f"{counts.total} stored secrets: {counts.current} on the new key, {counts.previous} to re-encrypt, "
        f"{len(counts.unreadable)} readable by neither key{unreadable}"
    )
    key = "the new key" if recorded == box.fingerprint else "the previous key" if recorded else "no key yet"
    console.print(f"the database records {key}; dry run: nothing changed")


def _say_batch(batch: Batch) -> None:
    changed = f", {batch.changed} changed meanwhile by a replica" if batch.changed else ""
    console.print(
        f"batch {batch.number}: {batch.rows} rows, {batch.reencrypted} re-encrypted, "
        f"{batch.current} already on the new key{changed}"
    )


def _fail(reason: str) -> NoReturn:
    errors.print(f"[red]not rotated:[/red] {escape(reason)}")
    raise typer.Exit(2)
