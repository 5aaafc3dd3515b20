"""``hfgate prepare`` (run by ``make`` and the container's build): SmolLM2's GGUF converted once inside the
installation, so that a fresh data directory loads it without converting (minutes on a small machine)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hfgate.cli import app
from hfgate.local.catalog import resolve_model
from hfgate.local.generation.gguf_cache import PREPARED, converted_path, ensure_converted

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`

SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"
runner = CliRunner()


def test_make_prepared_smollm2_and_the_command_says_so() -> None:
    answer = runner.invoke(app, ["prepare"])
    assert answer.exit_code == 0, answer.output
    assert f"{SMOLLM2}: already prepared in {PREPARED}" in answer.output.replace("\n", "")


def test_a_fresh_data_directory_uses_the_prepared_copy_and_writes_nothing(tmp_path: Path) -> None:
    location = resolve_model(SMOLLM2)
    found = ensure_converted(location, models_dir=tmp_path / "models")
    assert found == converted_path(location, models_dir=PREPARED)
    assert (found / "model.safetensors").is_file()
    assert (found / "tokenizer.json").is_file()
    assert not (tmp_path / "models").exists()


def test_an_unwritable_target_is_named_with_the_fix(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    answer = runner.invoke(app, ["prepare", "--into", str(blocked / "models")])
    assert answer.exit_code == 1
    assert "not prepared" in answer.output
    assert "is writable" in answer.output.replace("\n", "")
