"""Settings: environment variables, comma-separated keys, and loud failures on bad values."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from hfgate.config import Settings


def test_environment_configures_every_field(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HFGATE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HFGATE_API_KEYS", "a, b ,,c")
    monkeypatch.setenv("HFGATE_MAX_BODY_BYTES", "1234")
    monkeypatch.setenv("HFGATE_DATABASE_URL", "postgresql://u@127.0.0.1/db")
    settings = Settings()
    assert settings.api_keys == ["a", "b", "c"]
    assert settings.max_body_bytes == 1234
    assert settings.database_url_resolved == "postgresql://u@127.0.0.1/db"


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).database_url_resolved == f"sqlite:///{tmp_path}/hfgate.db"


def test_a_bad_value_fails_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFGATE_MAX_BODY_BYTES", "lots")
    with pytest.raises(ValidationError, match="max_body_bytes"):
        Settings()
