"""The web page's login: a gateway key exchanged for a signed, short-lived session cookie.

The cookie never holds the key. It holds the key's id, an expiry and a CSRF token, signed with
HMAC-SHA256 under a key derived from the fleet's secret key (``HFGATE_SECRET_KEY``), so every replica
accepts it. Each request looks the key up by id (cached like any key), so revoking the key, or removing
it from ``HFGATE_API_KEYS``, ends its sessions.

The page's scripts call the API with the cookie and the CSRF token in the ``X-Hfgate-Csrf`` header:
another site can make a browser send the cookie, but not that header (it would need CORS), and the
cookie is ``SameSite=Strict`` besides.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import orjson

COOKIE = "hfgate_ui"
CSRF_HEADER = "x-hfgate-csrf"
DEFAULT_MAX_AGE = 12 * 3600


@dataclass(frozen=True, slots=True)
class UiSession:
    """A logged-in browser: whose key, when the session ends, and the token its scripts send."""

    key_id: str
    csrf: str
    expires: float


class SessionSigner:
    """Issues and verifies session cookies.

    Args:
        key: the signing key (derived from the fleet's secret key).
        max_age: seconds a session lasts.
        previous: the key derived from ``HFGATE_SECRET_KEY_PREVIOUS`` while the secret key is rotated: its
            sessions are still read, so a rolling restart onto the new key logs nobody out.

    Example:
        >>> signer = SessionSigner(b"k" * 32)
        >>> signer.read(signer.issue("key-id")).key_id
        'key-id'
    """

    def __init__(self, key: bytes, *, max_age: float = DEFAULT_MAX_AGE, previous: bytes | None = None) -> None:
        self._key = key
        self._keys = (key,) if previous is None else (key, previous)
        self.max_age = max_age

    def issue(self, key_id: str, *, now: float | None = None) -> str:
        """A cookie value for a user who logged in with the key ``key_id``."""
        expires = (now or time.time()) + self.max_age
        payload = orjson.dumps({"exp": expires, "csrf": secrets.token_urlsafe(24), "kid": key_id})
        return f"{_b64(payload)}.{_b64(self._sign(payload, self._key))}"

    def read(self, cookie: str | None, *, now: float | None = None) -> UiSession | None:
        """The session ``cookie`` stands for, or ``None`` if it is missing, forged or expired."""
        if not cookie or "." not in cookie:
            return None
        encoded, _, signature = cookie.partition(".")
        try:
            payload, given = _unb64(encoded), _unb64(signature)
        except ValueError:
            return None
        if not any(hmac.compare_digest(given, self._sign(payload, key)) for key in self._keys):
            return None
        data = orjson.loads(payload)
        if data["exp"] < (now or time.time()):
            return None
        return UiSession(key_id=str(data["kid"]), csrf=str(data["csrf"]), expires=float(data["exp"]))

    @staticmethod
    def _sign(payload: bytes, key: bytes) -> bytes:
        return hmac.new(key, b"hfgate-ui-session\x00" + payload, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64") from exc
