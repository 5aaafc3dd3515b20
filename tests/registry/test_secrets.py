"""Secret encryption: the key file, passphrase keys, and a clear error when the key changed."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from hfgate.config import Settings
from hfgate.errors import HfGateError
from hfgate.registry.secrets import KEY_FILE, SecretBox


def test_generated_key_file_is_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    token = SecretBox.from_settings(settings).encrypt({"api_key": "x"})
    mode = stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode)
    assert mode == 0o600
    assert SecretBox.from_settings(settings).decrypt(token) == {"api_key": "x"}


@pytest.mark.parametrize(
    "key", [Fernet.generate_key().decode(), "a passphrase of any length"], ids=["fernet-key", "passphrase"]
)
def test_secret_key_setting_is_used_instead_of_a_key_file(tmp_path: Path, key: str) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=SecretStr(key))
    box = SecretBox.from_settings(settings)
    assert box.decrypt(box.encrypt({"api_key": "y"})) == {"api_key": "y"}
    assert not (tmp_path / KEY_FILE).exists()


def test_decrypting_with_another_key_says_the_key_changed(tmp_path: Path) -> None:
    token = SecretBox(Fernet.generate_key()).encrypt({"api_key": "z"})
    with pytest.raises(HfGateError, match="HFGATE_SECRET_KEY"):
        SecretBox(Fernet.generate_key()).decrypt(token)
