"""hfgate's imports follow its layer table; the fixtures prove the check catches each crossing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.architecture.import_graph import crossings, imports_of, place, read_tree
from tests.architecture.layers import LAYERS, PACKAGE

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
    # the package loops issue 53 found, each one half of it: the base layer's order refuses it
    "ratelimit imports the fleet": ("hfgate.ratelimit.outage", "from hfgate.fleet.changes import LocalChanges"),
    "chat imports tasks": ("hfgate.chat.messages", "from hfgate.tasks import Usage"),
    "tasks imports the registry": ("hfgate.tasks", "from hfgate.registry.endpoint import Endpoint"),
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


def test_every_module_of_src_hfgate_is_placed_by_a_prefix_not_the_bare_package() -> None:
    unplaced = [module for module in read_tree(SRC) if module != PACKAGE and place(module, LAYERS).unit == PACKAGE]
    assert unplaced == []


def test_a_new_top_level_module_is_in_no_layer() -> None:
    with pytest.raises(LookupError, match=r"hfgate\.newcomer is in no layer"):
        crossings({"hfgate.newcomer": "from hfgate.config import Settings"}, layers=LAYERS)


def test_a_new_module_in_a_known_package_takes_its_layer() -> None:
    found = crossings({"hfgate.registry.newcomer": "from hfgate.orchestrator import Orchestrator"}, layers=LAYERS)
    assert found == [
        "hfgate.registry.newcomer -> hfgate.orchestrator: imports the orchestrator layer, above its own (base)"
    ]


def test_a_module_imported_by_name_from_its_package_is_checked() -> None:
    sources = {"hfgate.registry.store": "from hfgate.api import sse", "hfgate.api": "", "hfgate.api.sse": ""}
    assert crossings(sources, layers=LAYERS) == [
        "hfgate.registry.store -> hfgate.api: imports the api layer, above its own (base)",
        "hfgate.registry.store -> hfgate.api.sse: imports the api layer, above its own (base)",
    ]


def test_in_the_ordered_base_layer_a_package_imports_only_those_below_it() -> None:
    sources = {"hfgate.tasks": "from hfgate.chat import messages", "hfgate.chat.messages": "import hfgate.tasks"}
    assert crossings(sources, layers=LAYERS) == [
        "hfgate.chat.messages -> hfgate.tasks: hfgate.chat imports hfgate.tasks, above it in the base layer's order"
    ]


def test_every_base_package_may_import_the_package_root() -> None:
    assert crossings({"hfgate.config": "import hfgate", "hfgate": ""}, layers=LAYERS) == []
