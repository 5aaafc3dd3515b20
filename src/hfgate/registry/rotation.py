"""Re-encrypting every stored secret with a new key, online (``hfgate secret-key rotate``).

Replicas keep serving and writing meanwhile: they read with both keys and write with the new one (see
:class:`~hfgate.registry.secrets.SecretBox`). Rows are read in batches, re-encrypted outside any
transaction, and written back in one short transaction per batch, each row only if its ciphertext is
still the one read (compare-and-set): a replica's concurrent ``_update`` wins, and since it wrote with the
new key the next pass finds it done. Rows already on the new key are skipped, so the command can be
stopped and run again. When a whole pass finds nothing to do, the new key's fingerprint is recorded.

Only ``endpoints.secrets`` is encrypted; API keys are stored as password hashes, and the web page's
session key is derived from the key at start-up (a replica with a previous key also reads sessions
signed with the key derived from it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from cryptography.fernet import InvalidToken
from sqlalchemy import Engine, select, update

from hfgate.errors import HfGateError, SecretKeyRotationError
from hfgate.registry.database import writing
from hfgate.registry.key_check import is_retired, record_rotation, recorded_fingerprint
from hfgate.registry.schema import endpoints
from hfgate.registry.secrets import SecretBox

MAX_PASSES = 10


@dataclass
class Census:
    """Where the stored secrets stand: on the new key, on the previous one, or readable by neither."""

    current: int = 0
    previous: int = 0
    unreadable: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.current + self.previous + len(self.unreadable)


@dataclass(frozen=True)
class Batch:
    """One batch's outcome; ``changed``: rows a replica updated or deleted meanwhile (left to it)."""

    number: int
    rows: int
    reencrypted: int
    current: int
    changed: int


def check_keys(engine: Engine, box: SecretBox) -> None:
    """Refuse a rotation whose keys cannot be right.

    Raises:
        SecretKeyRotationError: no previous key, the same key twice, a retired new key, or a database that
            records a third key.
    """
    if box.previous_fingerprint is None:
        raise SecretKeyRotationError(
            "HFGATE_SECRET_KEY_PREVIOUS is not set: set it to the key being replaced (the fleet's current "
            "HFGATE_SECRET_KEY, or its data directory's secret.key) and HFGATE_SECRET_KEY to the new key "
            "(hfgate secret-key generate makes one)."
        )
    if box.fingerprint == box.previous_fingerprint:
        raise SecretKeyRotationError(
            "HFGATE_SECRET_KEY and HFGATE_SECRET_KEY_PREVIOUS are the same key: put a new key in HFGATE_SECRET_KEY "
            "(hfgate secret-key generate makes one)."
        )
    if is_retired(engine, box.fingerprint):
        raise SecretKeyRotationError(
            f"HFGATE_SECRET_KEY (fingerprint [{box.fingerprint}]) was rotated out of this database before; "
            "choose a new key (hfgate secret-key generate)."
        )
    recorded = recorded_fingerprint(engine)
    if recorded not in (None, box.fingerprint, box.previous_fingerprint):
        raise SecretKeyRotationError(
            f"The database records the key with fingerprint [{recorded}], neither HFGATE_SECRET_KEY's "
            f"[{box.fingerprint}] nor HFGATE_SECRET_KEY_PREVIOUS's [{box.previous_fingerprint}]: set "
            "HFGATE_SECRET_KEY_PREVIOUS to the fleet's current key."
        )


def census(engine: Engine, box: SecretBox, *, batch_size: int) -> Census:
    """Count the stored secrets by the key that decrypts them (reads only)."""
    counts = Census()
    for rows in _batches(engine, batch_size):
        for inference_id, token in rows:
            if box.is_current(token):
                counts.current += 1
            elif _readable(box, token):
                counts.previous += 1
            else:
                counts.unreadable.append(inference_id)
    return counts


def rotate(
    engine: Engine, box: SecretBox, *, batch_size: int, pause: float = 0.0, report: Callable[[Batch], None]
) -> int:
    """Re-encrypt every stored secret with ``box``'s key, then record it as the database's key.

    Args:
        engine: the registry's database.
        box: the new key, with the old one as ``previous``.
        batch_size: rows per transaction.
        pause: seconds to wait between batches (to spare a busy database).
        report: called after each batch.

    Returns:
        How many rows were re-encrypted.

    Raises:
        SecretKeyRotationError: see :func:`check_keys`; or a stored secret that neither key decrypts (named);
            or rows still changing on the old key after many passes (a replica without the new key?).
    """
    check_keys(engine, box)
    unreadable = census(engine, box, batch_size=batch_size).unreadable
    if unreadable:
        raise _unreadable(unreadable, "nothing was changed")
    total = 0
    for _ in range(MAX_PASSES):
        batches = _pass(engine, box, batch_size=batch_size, pause=pause, report=report)
        total += sum(batch.reencrypted for batch in batches)
        if all(batch.reencrypted == batch.changed == 0 for batch in batches):
            record_rotation(engine, box)
            return total
    raise SecretKeyRotationError(
        f"Stored secrets were still written with the old key after {MAX_PASSES} passes: a replica still runs "
        "with the old HFGATE_SECRET_KEY. Restart every replica with the new key (and the old one as "
        "HFGATE_SECRET_KEY_PREVIOUS), then run hfgate secret-key rotate again."
    )


def _pass(
    engine: Engine, box: SecretBox, *, batch_size: int, pause: float, report: Callable[[Batch], None]
) -> list[Batch]:
    batches = []
    for number, rows in enumerate(_batches(engine, batch_size), start=1):
        batches.append(_rotate_batch(engine, box, rows, number=number))
        report(batches[-1])
        if pause and batches[-1].reencrypted:
            time.sleep(pause)
    return batches


def _rotate_batch(engine: Engine, box: SecretBox, rows: list[tuple[str, str]], *, number: int) -> Batch:
    pending = [(inference_id, token) for inference_id, token in rows if not box.is_current(token)]
    fresh = [(inference_id, token, _reencrypt(box, inference_id, token)) for inference_id, token in pending]
    written = 0
    with writing(engine).begin() as conn:  # compare-and-set: a row a replica rewrote meanwhile is left alone
        for inference_id, token, new in fresh:
            query = (
                update(endpoints)
                .where(endpoints.c.inference_id == inference_id, endpoints.c.secrets == token)
                .values(secrets=new)
            )
            written += conn.execute(query).rowcount
    return Batch(number, len(rows), written, len(rows) - len(pending), len(pending) - written)


def _batches(engine: Engine, size: int) -> Iterator[list[tuple[str, str]]]:
    """The rows in order of id, ``size`` at a time; each batch is read in its own short query."""
    after = ""
    while True:
        query = (
            select(endpoints.c.inference_id, endpoints.c.secrets)
            .where(endpoints.c.inference_id > after)
            .order_by(endpoints.c.inference_id)
            .limit(size)
        )
        with engine.connect() as conn:
            rows = [(str(row.inference_id), str(row.secrets)) for row in conn.execute(query)]
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def _reencrypt(box: SecretBox, inference_id: str, token: str) -> str:
    try:
        return box.reencrypt(token)
    except InvalidToken as exc:
        raise _unreadable([inference_id], "the rows before it are on the new key already") from exc


def _readable(box: SecretBox, token: str) -> bool:
    try:
        box.decrypt(token)
    except HfGateError:
        return False
    return True


def _unreadable(inference_ids: list[str], done: str) -> SecretKeyRotationError:
    names = ", ".join(inference_ids)
    return SecretKeyRotationError(
        f"The secrets of endpoint(s) {names} decrypt with neither HFGATE_SECRET_KEY nor "
        f"HFGATE_SECRET_KEY_PREVIOUS ({done}). Set HFGATE_SECRET_KEY_PREVIOUS to the key they were "
        "stored with, or give each its secrets again (PUT _inference/{task_type}/{id}/_update with its api_key)."
    )
