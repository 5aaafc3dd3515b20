"""The web page's login: a gateway key exchanged for a signed, short-lived session cookie.

The cookie never holds the key. It holds an expiry and a CSRF token, signed with HMAC-SHA256 keyed by
the gateway key the user typed; a cookie is valid while one of ``HFGATE_API_KEYS`` verifies it, so
removing a key from the configuration ends every session opened with it.

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
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

COOKIE = "hfgate_ui"
CSRF_HEADER = "x-hfgate-csrf"
DEFAULT_MAX_AGE = 12 * 3600


@dataclass(frozen=True, slots=True)
class UiSession:
    """A logged-in browser: when the session ends, and the token its scripts send with each call."""

    csrf: str
    expires: float


class SessionSigner:
    """Issues and verifies session cookies for the configured gateway keys.

    Args:
        keys: ``HFGATE_API_KEYS``; with none, every browser is let in without a login.
        max_age: seconds a session lasts.

    Example:
        >>> signer = SessionSigner(["k1"])
        >>> cookie = signer.issue("k1")
        >>> signer.read(cookie) is not None, signer.issue("wrong")
        (True, None)
    """

    def __init__(self, keys: Sequence[str], *, max_age: float = DEFAULT_MAX_AGE) -> None:
        self._keys = [key.encode() for key in keys]
        self.max_age = max_age

    @property
    def required(self) -> bool:
        """Whether a login is needed at all."""
        return bool(self._keys)

    def issue(self, key: str, *, now: float | None = None) -> str | None:
        """A cookie value for a user who typed ``key``; ``None`` when it is not a gateway key."""
        given = key.strip().encode()
        if not any(hmac.compare_digest(given, known) for known in self._keys):
            return None
        payload = orjson.dumps({"exp": (now or time.time()) + self.max_age, "csrf": secrets.token_urlsafe(24)})
        return f"{_b64(payload)}.{_b64(_sign(given, payload))}"

    def read(self, cookie: str | None, *, now: float | None = None) -> UiSession | None:
        """The session ``cookie`` stands for, or ``None`` if it is missing, forged or expired."""
        if not cookie or "." not in cookie:
            return None
        encoded, _, signature = cookie.partition(".")
        try:
            payload, given = _unb64(encoded), _unb64(signature)
        except ValueError:
            return None
        if not any(hmac.compare_digest(given, _sign(key, payload)) for key in self._keys):
            return None
        data = orjson.loads(payload)
        if data["exp"] < (now or time.time()):
            return None
        return UiSession(csrf=str(data["csrf"]), expires=float(data["exp"]))

    def allows(self, cookie: str | None, csrf_header: str | None) -> bool:
        """Whether an API call carrying ``cookie`` and ``csrf_header`` comes from a logged-in page."""
        session = self.read(cookie)
        if session is None or csrf_header is None:
            return False
        return hmac.compare_digest(session.csrf.encode(), csrf_header.encode())


def _sign(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, b"hfgate-ui-session\x00" + payload, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64") from exc
