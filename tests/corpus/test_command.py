"""``hfgate embed-corpus`` from the command line: JSON progress, a summary, and clear refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hfgate.cli import app
from hfgate.config import Settings
from tests.corpus.conftest import TEXTS, write_jsonl


def test_json_progress_lines_and_a_summary_naming_the_rejects(
    tmp_path: Path, corpus_settings: Settings, endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HFGATE_DATA_DIR", str(corpus_settings.data_dir))
    monkeypatch.setenv("HFGATE_PROVISION_DEFAULTS", "false")
    source = write_jsonl(tmp_path / "docs.jsonl", [{"id": "a", "text": TEXTS[0]}, {"id": "b", "text": 7}])
    args = ["embed-corpus", str(source), "--endpoint", endpoint, "--output", str(tmp_path / "out"), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [e["event"] for e in events] == ["start", "progress", "done"]
    assert events[1]["rows_done"] == 2
    assert events[1]["rejects"] == 1
    assert "1 rows rejected" in result.stderr
    assert "b: the text field [text] is not a string (int)" in result.stderr


def test_an_unknown_endpoint_exits_2_with_the_reason(
    tmp_path: Path, corpus_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HFGATE_DATA_DIR", str(corpus_settings.data_dir))
    source = write_jsonl(tmp_path / "docs.jsonl", [{"id": "a", "text": "x"}])
    args = ["embed-corpus", str(source), "--endpoint", "nope", "--output", str(tmp_path / "out")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "Inference endpoint not found [nope]" in result.stderr
