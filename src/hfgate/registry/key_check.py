"""One secret key for the fleet: the first replica records its key's fingerprint, the others compare.

Replicas sharing a database must encrypt and decrypt stored secrets with the same key; otherwise every
inference on an endpoint another replica stored fails. Checking at start-up turns that into one clear
refusal to start, naming ``HFGATE_SECRET_KEY``.

While the key is rotated (``HFGATE_SECRET_KEY`` the new key, ``HFGATE_SECRET_KEY_PREVIOUS`` the old),
a database that still records the old key's fingerprint is accepted too; so is the reverse
(``HFGATE_SECRET_KEY`` the database's key, ``HFGATE_SECRET_KEY_PREVIOUS`` the next one), the first step
of a rotation without a window in which some replicas cannot read what others write. ``hfgate secret-key rotate``
then records the new fingerprint and retires the old one: a replica whose ``HFGATE_SECRET_KEY`` is a
retired key refuses to start.
"""

from __future__ import annotations

from enum import Enum

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from hfgate.errors import SecretKeyMismatchError
from hfgate.registry.database import writing
from hfgate.registry.endpoint import utcnow
from hfgate.registry.schema import fleet_settings
from hfgate.registry.secrets import SecretBox

FINGERPRINT = "secret_key_fingerprint"
RETIRED = "retired_secret_key_fingerprint:"


class KeyState(Enum):
    """How this replica's keys relate to the database's recorded key."""

    RECORDED = "recorded"  # the first start: this key's fingerprint was recorded now
    MATCHES = "matches"  # the database's key, and no previous key set
    ROTATING = "rotating"  # the database records HFGATE_SECRET_KEY_PREVIOUS: a rotation is under way
    ROTATED = "rotated"  # the database records this key; HFGATE_SECRET_KEY_PREVIOUS (retired) no longer needed
    # The database records this key and HFGATE_SECRET_KEY_PREVIOUS is a key never used here: the next key,
    # read but not yet written, so that replicas restarted onto it later are understood by this one.
    PREPARING = "preparing"


def check_secret_key(engine: Engine, box: SecretBox) -> KeyState:
    """Record the key's fingerprint if none is, else check it is this replica's key or its previous one.

    Raises:
        SecretKeyMismatchError: the database was started with another key, or this key was rotated out.
    """
    recorded = recorded_fingerprint(engine)
    if recorded is None:
        try:
            with writing(engine).begin() as conn:
                conn.execute(
                    insert(fleet_settings).values(name=FINGERPRINT, value=box.fingerprint, recorded_at=utcnow())
                )
            return KeyState.RECORDED
        except IntegrityError:  # another replica starting at the same moment recorded its key first
            recorded = recorded_fingerprint(engine)
    if is_retired(engine, box.fingerprint):
        raise SecretKeyMismatchError(
            f"HFGATE_SECRET_KEY (fingerprint [{box.fingerprint}]) was rotated out of this database by "
            f"hfgate secret-key rotate; the database's key now has fingerprint [{recorded}]. Set "
            "HFGATE_SECRET_KEY to the new key (and HFGATE_SECRET_KEY_PREVIOUS to nothing, or to the old key)."
        )
    if recorded == box.fingerprint:
        if box.previous_fingerprint is None:
            return KeyState.MATCHES
        return KeyState.ROTATED if is_retired(engine, box.previous_fingerprint) else KeyState.PREPARING
    if recorded == box.previous_fingerprint:
        return KeyState.ROTATING
    raise SecretKeyMismatchError(
        f"HFGATE_SECRET_KEY does not match the key this database was first started with (fingerprint "
        f"[{recorded}], this replica's [{box.fingerprint}]"
        + ("" if box.previous_fingerprint is None else f", HFGATE_SECRET_KEY_PREVIOUS's [{box.previous_fingerprint}]")
        + "): every replica sharing the database must use the same key, or the secrets the others stored "
        "cannot be decrypted. Set HFGATE_SECRET_KEY to the fleet's key (the first replica's HFGATE_SECRET_KEY, "
        "or the secret.key file in its data directory); to change the key, set the new one as "
        "HFGATE_SECRET_KEY and the fleet's as HFGATE_SECRET_KEY_PREVIOUS, then run hfgate secret-key rotate."
    )


def record_rotation(engine: Engine, box: SecretBox) -> None:
    """Record ``box``'s key as the database's key and retire its previous one (a rotation's last step).

    Raises:
        SecretKeyMismatchError: the database records neither of ``box``'s keys (another fleet's database?).
    """
    previous = box.previous_fingerprint
    if previous is None:
        raise ValueError("a rotation needs the previous key")
    with writing(engine).begin() as conn:
        recorded = _recorded(conn)
        if recorded not in (None, box.fingerprint, previous):
            raise SecretKeyMismatchError(
                f"The database records the key with fingerprint [{recorded}], neither HFGATE_SECRET_KEY's "
                f"[{box.fingerprint}] nor HFGATE_SECRET_KEY_PREVIOUS's [{previous}]."
            )
        row = {"value": box.fingerprint, "recorded_at": utcnow()}
        if recorded is None:
            conn.execute(insert(fleet_settings).values(name=FINGERPRINT, **row))
        else:
            conn.execute(update(fleet_settings).where(fleet_settings.c.name == FINGERPRINT).values(**row))
        if not _retired_in(conn, previous):
            conn.execute(insert(fleet_settings).values(name=RETIRED + previous, value=previous, recorded_at=utcnow()))


def recorded_fingerprint(engine: Engine) -> str | None:
    """The fingerprint of the key the database's secrets are (being) encrypted with, if recorded."""
    with engine.connect() as conn:
        return _recorded(conn)


def _recorded(conn: Connection) -> str | None:
    value = conn.execute(select(fleet_settings.c.value).where(fleet_settings.c.name == FINGERPRINT)).scalar()
    return None if value is None else str(value)


def is_retired(engine: Engine, fingerprint: str) -> bool:
    """Whether a rotation replaced the key with this fingerprint."""
    with engine.connect() as conn:
        return _retired_in(conn, fingerprint)


def _retired_in(conn: Connection, fingerprint: str) -> bool:
    query = select(fleet_settings.c.name).where(fleet_settings.c.name == RETIRED + fingerprint)
    return conn.execute(query).first() is not None
