"""Runs LangChain's standard tests (``langchain_standard.py``, with ``langchain-tests`` installed apart: it
pins its own pytest and brings pytest plugins) against a live hfgate; prints each test's outcome, as JSON,
for tests/clients/test_langchain_standard.py.

pytest runs in this process with its own configuration and only the plugins the standard tests use, so
neither hfgate's pytest configuration and conftest files nor the venv's plugins take part:
``asyncio_mode = auto``, as LangChain's packages set it, and every async test on one event loop, since
``ChatOpenAI`` keeps one async HTTP client for the process, whose pooled connections cannot outlive the
loop of the test that opened them ("Event loop is closed").

Usage: python langchain_calls.py HFGATE_URL CHAT_ENDPOINT_ID EMBEDDING_ENDPOINT_ID [PYTEST_ARG…]
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

MODULE = Path(__file__).resolve().parent / "langchain_standard.py"
PACKAGES = ("langchain-tests", "langchain-openai", "langchain-core", "openai", "pytest")
INI = """[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = session
asyncio_default_test_loop_scope = session
"""
PLUGINS = ("pytest_asyncio.plugin", "pytest_benchmark.plugin", "pytest_recording.plugin")


class Outcomes:
    """Each test's outcome, and for a failure the last lines of its report."""

    def __init__(self) -> None:
        self.seen: dict[str, dict[str, str]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        name = report.nodeid.split("::", 1)[-1]
        if report.failed or report.when == "call" or (report.skipped and name not in self.seen):
            detail = str(report.longrepr)[-1500:] if report.failed else ""
            self.seen[name] = {"outcome": report.outcome, "detail": detail}


def main(url: str, chat: str, embedding: str, *more: str) -> dict[str, Any]:
    os.environ.update(HFGATE_URL=url, HFGATE_CHAT_MODEL=chat, HFGATE_EMBEDDING_MODEL=embedding)
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    outcomes = Outcomes()
    with tempfile.TemporaryDirectory() as home:
        ini = Path(home) / "pytest.ini"
        ini.write_text(INI)
        plugins = [arg for name in PLUGINS for arg in ("-p", name)]
        args = ["-c", str(ini), "--rootdir", home, "--noconftest", "-p", "no:cacheprovider", *plugins, "-q"]
        with contextlib.redirect_stdout(sys.stderr):  # stdout carries the JSON
            code = pytest.main([*args, *more, str(MODULE)], plugins=[outcomes])
    return {"exit": int(code), "versions": {p: version(p) for p in PACKAGES}, "tests": outcomes.seen}


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:])))
