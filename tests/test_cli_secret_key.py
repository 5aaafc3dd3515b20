"""``hfgate secret-key generate|rotate`` on a SQLite registry: the counts, the rotation, and each refusal."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from hfgate.cli import app
from hfgate.config import Settings
from hfgate.registry.database import make_engine
from hfgate.registry.endpoint import Endpoint
from hfgate.registry.key_check import check_secret_key
from hfgate.registry.migrations import migrate
from hfgate.registry.secrets import SecretBox
from hfgate.registry.store import EndpointStore
from hfgate.tasks import TaskType

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
runner = CliRunner()


def _registry(data_dir: Path, key: str, ids: list[str], *, first: bool = True) -> None:
    """Endpoints ``ids`` stored with ``key``, in a registry first started with it (or already made)."""
    engine = make_engine(Settings(data_dir=data_dir))
    try:
        if first:
            migrate(engine)
            check_secret_key(engine, SecretBox(key.encode()))
        store = EndpointStore(engine, SecretBox(key.encode()))
        for inference_id in ids:
            store.create(Endpoint(inference_id=inference_id, task_type=TaskType.TEXT_EMBEDDING,
                                  service="hugging_face", secrets={"api_key": "hf_x"}))  # fmt: skip
    finally:
        engine.dispose()


def _rotate(monkeypatch: pytest.MonkeyPatch, data_dir: Path, *args: str, new: str | None, previous: str | None) -> str:
    monkeypatch.setenv("HFGATE_DATA_DIR", str(data_dir))
    for name, value in (("HFGATE_SECRET_KEY", new), ("HFGATE_SECRET_KEY_PREVIOUS", previous)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    result = runner.invoke(app, ["secret-key", "rotate", *args])
    return f"exit {result.exit_code}: " + " ".join(result.output.split())


def test_generate_prints_a_fernet_key() -> None:
    result = runner.invoke(app, ["secret-key", "generate"])
    assert result.exit_code == 0
    Fernet(result.output.strip().encode())


def test_dry_run_counts_then_rotate_prints_progress_and_a_second_run_finds_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _registry(tmp_path, OLD, ["a", "b", "c"])
    counted = _rotate(monkeypatch, tmp_path, "--dry-run", new=NEW, previous=OLD)
    assert "exit 0: 3 stored secrets: 0 on the new key, 3 to re-encrypt, 0 readable by neither key" in counted
    assert "the database records the previous key; dry run: nothing changed" in counted
    rotated = _rotate(monkeypatch, tmp_path, "--batch-size", "2", new=NEW, previous=OLD)
    assert "batch 1: 2 rows, 2 re-encrypted, 0 already on the new key" in rotated
    assert "batch 2: 1 rows, 1 re-encrypted" in rotated
    assert "rotated: 3 secrets re-encrypted" in rotated
    assert "Drop HFGATE_SECRET_KEY_PREVIOUS with a rolling restart" in rotated
    again = _rotate(monkeypatch, tmp_path, "--batch-size", "2", new=NEW, previous=OLD)
    assert "batch 2: 1 rows, 0 re-encrypted, 1 already on the new key rotated: 0 secrets re-encrypted" in again
    after = _rotate(monkeypatch, tmp_path, "--dry-run", new=NEW, previous=OLD)
    assert "3 on the new key, 0 to re-encrypt" in after
    assert "the database records the new key" in after


@pytest.mark.parametrize(
    ("new", "previous", "refusal"),
    [
        (None, OLD, "HFGATE_SECRET_KEY is not set: put the new key in it"),
        (NEW, None, "HFGATE_SECRET_KEY_PREVIOUS is not set"),
        (OLD, OLD, "HFGATE_SECRET_KEY and HFGATE_SECRET_KEY_PREVIOUS are the same key"),
        (NEW, Fernet.generate_key().decode(), "neither HFGATE_SECRET_KEY's"),
    ],
    # Named, not by the (random) keys: two collections of the suite give the same ids (pytest-xdist, --lf).
    ids=["new-missing", "previous-missing", "same-key", "unrelated-keys"],
)
def test_rotate_refuses_missing_equal_or_unrelated_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, new: str | None, previous: str | None, refusal: str
) -> None:
    _registry(tmp_path, OLD, ["a"])
    output = _rotate(monkeypatch, tmp_path, new=new, previous=previous)
    assert output.startswith("exit 2: not rotated:")
    assert refusal in output


def test_rotate_names_the_endpoint_the_previous_key_does_not_decrypt(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _registry(tmp_path, OLD, ["a"])
    _registry(tmp_path, Fernet.generate_key().decode(), ["stray-emb"], first=False)
    output = _rotate(monkeypatch, tmp_path, new=NEW, previous=OLD)
    assert "exit 2: not rotated: The secrets of endpoint(s) stray-emb decrypt with neither" in output
    assert "1 readable by neither key (stray-emb)" in _rotate(monkeypatch, tmp_path, "--dry-run", new=NEW, previous=OLD)
