"""Encryption of secret settings at rest (Fernet: AES-128-CBC with HMAC-SHA256).

The key comes from ``HFGATE_SECRET_KEY`` (a Fernet key, or any passphrase, stretched with HKDF), or from
a key file created once in the data directory with mode 0600.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hfgate.config import Settings
from hfgate.errors import HfGateError

KEY_FILE = "secret.key"


class SecretBox:
    """Encrypts and decrypts an endpoint's secret settings.

    Example:
        >>> box = SecretBox(Fernet.generate_key())
        >>> box.decrypt(box.encrypt({"api_key": "hf_x"}))
        {'api_key': 'hf_x'}
    """

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)
        self._key = key

    @property
    def fingerprint(self) -> str:
        """A one-way digest naming the key (safe to store and log): replicas compare it at start-up."""
        return hashlib.sha256(b"hfgate-secret-key-fingerprint:" + self._key).hexdigest()[:32]

    def derive(self, purpose: str) -> bytes:
        """A key for another use (e.g. signing the web page's sessions), the same on every replica."""
        return hashlib.sha256(f"hfgate-derived:{purpose}:".encode() + self._key).digest()

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        """The box for ``HFGATE_SECRET_KEY``, or for the data directory's key file (made if absent)."""
        if settings.secret_key is not None:
            return cls(_key_from_text(settings.secret_key.get_secret_value()))
        return cls(_key_file(settings.data_dir / KEY_FILE))

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
                "data directory's secret.key) changed since it was stored; restore the old key, or "
                "update the endpoint's api_key with PUT _inference/{task_type}/{id}/_update"
            ) from exc
        return secrets


def _key_from_text(text: str) -> bytes:
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
