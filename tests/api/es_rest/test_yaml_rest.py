"""Elasticsearch's own YAML REST tests for ``_inference`` and ``_security/api_key``, run against hfgate.

One pytest test per YAML test of the pinned files (``sources.py``), on a fresh app each: the file's
``setup``, the test, then its ``teardown``. What is left out, and why, is ``left_out.py``. The files are
not in hfgate's tree; ``python -m tests.api.es_rest.sources`` fetches them (the tests skip, saying so,
until it has).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hfgate.config import Settings
from tests.api.es_rest import left_out
from tests.api.es_rest.sources import FETCH, SPECS, TESTS, Source, check, missing
from tests.api.es_rest.steps import Runner
from tests.conftest import app_client

BOOT = "boot"


def _documents(source: Source) -> dict[str, list[dict[str, Any]]]:
    """A file's sections by name: ``setup``, ``teardown`` and one per test."""
    sections: dict[str, list[dict[str, Any]]] = {}
    for document in yaml.safe_load_all(source.local.read_text(encoding="utf-8")):
        sections.update(document or {})
    return sections


def _cases() -> list[Any]:
    if missing():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=f"Elasticsearch's files absent: run {FETCH}"))]
    cases = []
    for source in TESTS:
        for name in _documents(source):
            if name in ("setup", "teardown"):
                continue
            reason = left_out.TESTS.get((source.path, name))
            marks = [pytest.mark.skip(reason=reason)] if reason else []
            cases.append(pytest.param(source, name, marks=marks, id=f"{Path(source.path).name}::{name}"))
    return cases


@pytest.mark.parametrize(("source", "name"), _cases())
async def test_elasticsearch_yaml_rest_test(tmp_path: Path, source: Source, name: str) -> None:
    sections = _documents(source)
    settings = Settings(
        data_dir=tmp_path, api_keys=[BOOT], provision_defaults=False, log_format="text", registry_cache_seconds=0
    )
    async with app_client(settings) as http:
        runner = Runner(http, auth=f"Bearer {BOOT}")
        await runner.run(sections.get("setup", []))
        try:
            await runner.run(sections[name])
        finally:
            await runner.run(sections.get("teardown", []))


def test_every_left_out_test_names_a_test_that_runs_and_no_file_is_both_run_and_left_out() -> None:
    run = {source.path for source in TESTS}
    assert not run & set(left_out.FILES)
    assert {path for path, _ in left_out.TESTS} <= run
    if not missing():
        for path, name in left_out.TESTS:
            assert name in _documents(next(s for s in TESTS if s.path == path)), (path, name)


def test_the_files_read_are_the_pinned_ones() -> None:
    if missing():
        pytest.skip(f"Elasticsearch's files absent: run {FETCH}")
    for source in (*TESTS, *SPECS):
        check(source)
