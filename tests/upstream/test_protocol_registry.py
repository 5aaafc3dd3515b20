"""The protocol registries: a new engine or provider is one module, found with no edit elsewhere; every
engine, provider and ``hugging_face`` module stays small."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import hfgate
from hfgate.tasks import TaskType
from hfgate.upstream.engines import ENGINES, engine_owning, engine_protocol
from hfgate.upstream.engines.base import ChatProtocol, EmbedProtocol, GenerateProtocol, PipelineProtocol
from hfgate.upstream.engines.registry import collect
from hfgate.upstream.providers import PROVIDERS, provider_protocol

SRC = Path(hfgate.__file__).parent
NEW_ENGINE = """
from hfgate.upstream.engines.base import Kind, Protocol
from hfgate.upstream.engines.openai import OpenAIChat

NAME = "newengine"
OWNED_BY = ("newengine",)
PROTOCOLS: dict[Kind, Protocol] = {"chat": OpenAIChat()}
"""


def test_a_module_with_a_name_and_protocols_is_registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "more_engines"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "newengine.py").write_text(NEW_ENGINE)
    (package / "helpers.py").write_text("X = 1\n")  # no NAME / PROTOCOLS: not an engine
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        found = collect("more_engines")
    finally:
        for name in [m for m in sys.modules if m.startswith("more_engines")]:
            del sys.modules[name]
    assert list(found) == ["newengine"]
    assert found["newengine"].owned_by == ("newengine",)
    assert isinstance(found["newengine"].protocols["chat"], ChatProtocol)


def test_the_shipped_engines_and_providers_are_registered() -> None:
    assert list(ENGINES) == ["infinity", "llamacpp", "openai", "pipeline", "sglang", "tei", "tgi", "vllm"]
    assert engine_owning("infinity") == "infinity"
    assert list(PROVIDERS) == ["deepinfra", "fal-ai", "hf-inference", "replicate", "scaleway", "together"]
    assert engine_owning("vllm") == "vllm"
    assert engine_owning("some-other-server") == "openai"
    assert engine_protocol("vllm", "generate", GenerateProtocol) is not None
    assert engine_protocol("tei", "generate", GenerateProtocol) is None
    assert provider_protocol("together", "embed", EmbedProtocol) is not None
    assert provider_protocol("together", "chat", ChatProtocol) is None
    speech = provider_protocol("replicate", "pipeline", PipelineProtocol)
    assert speech is not None
    assert speech.serves(TaskType.AUTOMATIC_SPEECH_RECOGNITION)
    assert not speech.serves(TaskType.TEXT_CLASSIFICATION)


@pytest.mark.parametrize(("folder", "limit"), [("upstream/engines", 150), ("upstream/providers", 150)])
def test_each_engine_and_provider_is_one_small_module(folder: str, limit: int) -> None:
    """Each engine or provider; not the protocols' contract (``base.py``) nor the registry (``__init__``)."""
    modules = [p for p in (SRC / folder).glob("*.py") if p.name not in ("base.py", "__init__.py")]
    sizes = {p.name: len(p.read_text().splitlines()) for p in modules}
    assert {name: size for name, size in sizes.items() if size >= limit} == {}


def test_no_module_of_the_hugging_face_service_is_over_300_lines() -> None:
    """The project's guide (issue #53: a guide, not a reason to split a class)."""
    sizes = {p.name: len(p.read_text().splitlines()) for p in (SRC / "services/hugging_face").glob("*.py")}
    assert {name: size for name, size in sizes.items() if size > 300} == {}
