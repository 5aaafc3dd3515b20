"""A gateway key on the wire and at rest.

On the wire, as Elasticsearch's API keys: an ``id`` and a secret ``api_key``, sent together as
``encoded = base64("id:api_key")`` in ``Authorization: ApiKey <encoded>`` (or ``Bearer <encoded>``).
At rest, only a salted scrypt hash of the secret (``scrypt$n$r$p$salt$hash``): the parameters travel
with the hash, so they can be raised later without breaking stored keys.

Example:
    >>> issued = issue()
    >>> parse(issued.encoded) == (issued.key_id, issued.secret)
    True
    >>> verify(issued.secret, hash_secret(issued.secret))
    True
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

# 16 MiB and ~40 ms per hash: paid once when a key is created and once per process when first used.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: str
    secret: str

    @property
    def encoded(self) -> str:
        return base64.b64encode(f"{self.key_id}:{self.secret}".encode()).decode()


def issue() -> IssuedKey:
    """A new key: a 20-character id and a 256-bit secret. The id never starts with ``-``: a command line
    would read it as an option (``hfgate keys revoke -x…`` failed 1 time in 64)."""
    while (key_id := secrets.token_urlsafe(15)).startswith("-"):
        pass
    return IssuedKey(key_id=key_id, secret=secrets.token_urlsafe(32))


def parse(encoded: str) -> tuple[str, str] | None:
    """``(id, secret)`` from an ``encoded`` key, or ``None`` when it is not one."""
    try:
        decoded = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    key_id, sep, secret = decoded.partition(":")
    return (key_id, secret) if sep and key_id and secret else None


def hash_secret(secret: str) -> str:
    """The salted scrypt hash stored for ``secret``."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(secret, salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches the ``stored`` hash (compared in constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        given = _scrypt(secret, salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p))
    except (ValueError, binascii.Error):
        return False
    return scheme == "scrypt" and hmac.compare_digest(given, expected)


def _scrypt(secret: str, *, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
