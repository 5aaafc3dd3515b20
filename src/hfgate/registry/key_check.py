"""One secret key for the fleet: the first replica records its key's fingerprint, the others compare.

Replicas sharing a database must encrypt and decrypt stored secrets with the same key; otherwise every
inference on an endpoint another replica stored fails. Checking at start-up turns that into one clear
refusal to start, naming ``HFGATE_SECRET_KEY``.
"""

from __future__ import annotations

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from hfgate.errors import SecretKeyMismatchError
from hfgate.registry.database import writing
from hfgate.registry.endpoint import utcnow
from hfgate.registry.schema import fleet_settings
from hfgate.registry.secrets import SecretBox

FINGERPRINT = "secret_key_fingerprint"


def check_secret_key(engine: Engine, box: SecretBox) -> bool:
    """Record the key's fingerprint if none is, else check it matches; ``True`` when recorded now.

    Raises:
        SecretKeyMismatchError: the database was first started with another key.
    """
    recorded = _recorded(engine)
    if recorded is None:
        try:
            with writing(engine).begin() as conn:
                conn.execute(
                    insert(fleet_settings).values(name=FINGERPRINT, value=box.fingerprint, recorded_at=utcnow())
                )
            return True
        except IntegrityError:  # another replica starting at the same moment recorded its key first
            recorded = _recorded(engine)
    if recorded != box.fingerprint:
        raise SecretKeyMismatchError(
            f"HFGATE_SECRET_KEY does not match the key this database was first started with (fingerprint "
            f"[{recorded}], this replica's [{box.fingerprint}]): every replica sharing the database must "
            "use the same key, or the secrets the others stored cannot be decrypted. Set HFGATE_SECRET_KEY "
            "to the fleet's key (the first replica's HFGATE_SECRET_KEY, or the secret.key file in its data "
            "directory)."
        )
    return False


def _recorded(engine: Engine) -> str | None:
    with engine.connect() as conn:
        value = conn.execute(select(fleet_settings.c.value).where(fleet_settings.c.name == FINGERPRINT)).scalar()
    return None if value is None else str(value)
