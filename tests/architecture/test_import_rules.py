"""hfgate's imports follow its layer table; the fixtures prove the check catches each crossing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.architecture.import_graph import crossings, imports_of, read_tree
from tests.architecture.layers import LAYERS

SRC = Path(__file__).resolve().parents[2] / "src"

# The crossings issue 11 named, each as the one-line import that would bring it back.
CROSSINGS = {
    "a face imports another face's routes": ("hfgate.api.hf.routes", "from hfgate.api.openai.routes import run_chat"),
    "a face imports another face's parsing": ("hfgate.api.openai.requests", "from hfgate.api.es.requests import x"),
    "a face imports the service registry": ("hfgate.api.ui.views", "from hfgate.services import SERVICES"),
    "a face imports a service": ("hfgate.api.es.run", "from hfgate.services.local import LocalService"),
    "a face imports the local catalog": ("hfgate.api.ui.views", "from hfgate.local.catalog import KNOWN_MODELS"),
    "upstream imports local": ("hfgate.upstream.http.client", "from hfgate.local.catalog import locate"),
    "local imports upstream": ("hfgate.local.tokenizer", "from hfgate.upstream.wire import common"),
    "the service contract carries local types": ("hfgate.services.base", "from hfgate.local.cache import ModelCache"),
    "the orchestrator imports a face": ("hfgate.orchestrator.core", "from hfgate.api.es import shapes"),
    "a service imports the orchestrator": ("hfgate.services.local", "import hfgate.orchestrator"),
    "the registry imports the orchestrator": ("hfgate.registry.store", "from hfgate.orchestrator import x"),
    "errors import the API": ("hfgate.errors", "from hfgate.api.body import json_object"),
    "a lazy import inside a function": ("hfgate.chunking.word", "def f() -> None:\n    from hfgate.services import x"),
}


def test_src_hfgate_imports_follow_the_layer_table() -> None:
    assert crossings(read_tree(SRC), layers=LAYERS) == []


@pytest.mark.parametrize("case", sorted(CROSSINGS))
def test_each_named_crossing_is_caught(case: str) -> None:
    module, line = CROSSINGS[case]
    sources = read_tree(SRC)
    sources[module] = f"{sources.get(module, '')}\n{line}\n"
    (imported,) = imports_of(line, package="hfgate")
    assert any(entry.startswith(f"{module} -> {imported}: ") for entry in crossings(sources, layers=LAYERS))


def test_a_new_top_level_module_sits_in_the_base_layer() -> None:
    found = crossings({"hfgate.newcomer": "from hfgate.orchestrator import Orchestrator"}, layers=LAYERS)
    assert found == ["hfgate.newcomer -> hfgate.orchestrator: imports the orchestrator layer, above its own (base)"]
