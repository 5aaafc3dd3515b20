"""A warm request passes few of hfgate's modules (issue #53's walk, ``bench/module_walk.py``): at most 25 for an
embedding on the Elasticsearch face, 26 for a chat completion to a local model on the OpenAI face, half what
they passed when the issue was filed (51 and 52). A new module on the path of every request is a new step for
whoever follows one through the code; fold it into the concept it belongs to, or move its work to when the
endpoint is opened."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.slow

MOST = {"POST /_inference/text_embedding/mini": 25, "POST /v1/chat/completions": 26}


def _bench() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "module_walk.py"
    spec = importlib.util.spec_from_file_location("module_walk", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_warm_request_passes_at_most_half_the_modules_it_did() -> None:
    walked = asyncio.run(_bench().walks())
    assert {label: sorted(modules) for label, modules in walked.items() if len(modules) > MOST[label]} == {}
    assert set(walked) == set(MOST)
