"""Encryption of secret settings at rest (Fernet: AES-128-CBC with HMAC-SHA256).

The key comes from ``HFGATE_SECRET_KEY`` (a Fernet key, or any passphrase, stretched with HKDF), or from
a key file created once in the data directory with mode 0600. While the key is rotated,
``HFGATE_SECRET_KEY_PREVIOUS`` holds the old one: secrets are read with either (``MultiFernet``) and
always written with the new one (see :mod:`hfgate.registry.rotation`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hfgate.config import Settings
from hfgate.errors import HfGateError

KEY_FILE = "secret.key"


class SecretBox:
    """Encrypts and decrypts an endpoint's secret settings.

    Args:
        key: encrypts, and decrypts.
        previous: a key being rotated out, which only decrypts.

    Example:
        >>> box = SecretBox(Fernet.generate_key())
        >>> box.decrypt(box.encrypt({"api_key": "hf_x"}))
        {'api_key': 'hf_x'}
    """

    def __init__(self, key: bytes, *, previous: bytes | None = None) -> None:
        self._key = key
        self._previous_key = previous
        self._current = Fernet(key)
        self._fernet = MultiFernet([self._current, *([] if previous is None else [Fernet(previous)])])

    @property
    def fingerprint(self) -> str:
        """A one-way digest naming the key (safe to store and log): replicas compare it at start-up."""
        return key_fingerprint(self._key)

    @property
    def previous_fingerprint(self) -> str | None:
        """The previous key's fingerprint, when one is set."""
        return None if self._previous_key is None else key_fingerprint(self._previous_key)

    def derive(self, purpose: str) -> bytes:
        """A key for another use (e.g. signing the web page's sessions), the same on every replica."""
        return _derive(self._key, purpose)

    def derive_previous(self, purpose: str) -> bytes | None:
        """:meth:`derive` for the previous key, when one is set (accepted while the key is rotated)."""
        return None if self._previous_key is None else _derive(self._previous_key, purpose)

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        """The box for ``HFGATE_SECRET_KEY``, or for the data directory's key file (made if absent)."""
        previous = settings.secret_key_previous
        previous_key = None if previous is None else key_from_text(previous.get_secret_value())
        if settings.secret_key is not None:
            return cls(key_from_text(settings.secret_key.get_secret_value()), previous=previous_key)
        return cls(_key_file(settings.data_dir / KEY_FILE), previous=previous_key)

    def encrypt(self, secrets: dict[str, str]) -> str:
        return self._fernet.encrypt(json.dumps(secrets).encode()).decode()

    def decrypt(self, token: str) -> dict[str, str]:
        """The secrets in ``token``.

        Raises:
            HfGateError: the token was made with another key (``HFGATE_SECRET_KEY`` changed).
        """
        try:
            secrets: dict[str, str] = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as exc:
            raise HfGateError(
                "A stored secret cannot be decrypted with the current key: HFGATE_SECRET_KEY (or the "
                "data directory's secret.key) changed since it was stored; restore the old key (to rotate "
                "it, set it as HFGATE_SECRET_KEY_PREVIOUS and run hfgate secret-key rotate), or "
                "update the endpoint's api_key with PUT _inference/{task_type}/{id}/_update"
            ) from exc
        return secrets

    def is_current(self, token: str) -> bool:
        """Whether ``token`` was made with the current key (not the previous one, nor another)."""
        try:
            self._current.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def reencrypt(self, token: str) -> str:
        """``token``'s content encrypted with the current key.

        Raises:
            InvalidToken: neither key decrypts it.
        """
        return self._fernet.rotate(token.encode()).decode()


def _derive(key: bytes, purpose: str) -> bytes:
    return hashlib.sha256(f"hfgate-derived:{purpose}:".encode() + key).digest()


def key_fingerprint(key: bytes) -> str:
    """A one-way digest naming a Fernet key (safe to store and log)."""
    return hashlib.sha256(b"hfgate-secret-key-fingerprint:" + key).hexdigest()[:32]


def key_from_text(text: str) -> bytes:
    """The Fernet key of ``HFGATE_SECRET_KEY``'s value: itself when it is one, else stretched with HKDF."""
    try:
        if len(base64.urlsafe_b64decode(text.encode())) == 32:
            return text.encode()
    except ValueError:
        pass
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hfgate-secret-key", info=b"fernet")
    return base64.urlsafe_b64encode(hkdf.derive(text.encode()))


def _key_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    key = Fernet.generate_key()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    return key
