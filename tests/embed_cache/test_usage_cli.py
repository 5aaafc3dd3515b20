"""``hfgate usage`` shows the texts the embedding cache answered, apart from the tokens computed."""

from __future__ import annotations

from pathlib import Path

import httpx
from typer.testing import CliRunner

from hfgate.cli import app
from tests.embed_cache.conftest import TEI, cache_settings, tei_body
from tests.fakes.hf_server import FakeHF
from tests.support.live_server import live_server


def test_the_usage_table_has_a_cached_texts_column_with_the_texts_the_cache_answered(
    fake_hf: FakeHF, tmp_path: Path
) -> None:
    settings = cache_settings(fake_hf.base, tmp_path / "data", usage_flush_seconds=3600)
    with live_server(settings) as url:
        made = httpx.put(f"{url}/_inference/text_embedding/{TEI}", json=tei_body(fake_hf.base), timeout=60)
        assert made.status_code == 200, made.text
        path = f"{url}/_inference/text_embedding/{TEI}"
        httpx.post(path, json={"input": ["one cached text", "another"]}, timeout=60).raise_for_status()
        again = httpx.post(path, json={"input": ["one cached text", "another", "a third"]}, timeout=60)
        assert again.headers["x-hfgate-cache"] == "partial"
        shown = CliRunner().invoke(app, ["usage", "--url", url], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    names = _cells(next(line for line in shown.output.splitlines() if "endpoint" in line))
    row = _cells(next(line for line in shown.output.splitlines() if TEI in line))
    assert row[names.index("cached texts")] == "2"
    assert row[names.index("requests")] == "2"
    assert "2 texts from the embedding cache" in shown.output


def _cells(line: str) -> list[str]:
    """A rich table line's cells (the header's borders are heavy, the rows' light)."""
    return [cell.strip() for cell in line.replace("┃", "│").split("│")]
