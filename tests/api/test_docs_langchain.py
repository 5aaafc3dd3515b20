"""The LangChain example of the OpenAI API page (docs/api/openai.md) runs as printed against a live hfgate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "api" / "openai.md"


def _example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)
    return next(b for b in blocks if "langchain_openai" in b)


def test_langchain_example_runs(live_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = _example().replace("http://127.0.0.1:8080", live_url)
    exec(compile(code, "docs/api/openai.md", "exec"), {})
    count, size, *answer = capsys.readouterr().out.split(" ", 2)
    assert (count, size) == ("2", "384")
    assert answer
    assert answer[0].strip()
