"""The one table of hfgate's layers, top first: a module may import its own layer or a layer below.

A module belongs to the layer of the longest prefix that names it, so a new module in a known package
fits without an edit here. The bare package ``hfgate`` is no prefix: it names only itself (its
``__init__``), so a new module at the root is in no layer and the test fails until a row places it.
In a layer of ``peers`` each prefix is a unit of its own that may not import another (a face
never imports another face; ``upstream`` and ``local`` never import each other). In an ``ordered`` layer
its prefixes are listed top first, and each may import only itself and those listed after it, so that
two of its packages importing each other (a package-level loop) always fail. ``avoids`` names lower
layers a layer still may not import (a face asks the orchestrator; it never reaches a service).
ARCHITECTURE.md draws the same table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Layer:
    name: str
    prefixes: tuple[str, ...]
    peers: bool = False
    ordered: bool = False
    avoids: frozenset[str] = frozenset()
    modules: tuple[str, ...] = ()
    """Modules named exactly, not as prefixes: the package's own ``__init__``."""


PACKAGE = "hfgate"


LAYERS: tuple[Layer, ...] = (
    Layer("entry", ("hfgate.cli", "hfgate.commands", "hfgate.__main__")),
    Layer("jobs", ("hfgate.corpus",)),
    Layer("client", ("hfgate.client",)),
    Layer(
        "app",
        (
            "hfgate.api.app",
            "hfgate.api.gateway",
            "hfgate.api.error_handlers",
            "hfgate.api.faces",
            "hfgate.api.declared",
            "hfgate.api.route_roles",
            "hfgate.api.openapi",
            # the app's own routes (no face's: hfgate's, in Elasticsearch's envelope; api.faces.OTHER)
            "hfgate.api.health",
            "hfgate.api.metrics",
            "hfgate.api.usage",
            "hfgate.api.apply.routes",
            "hfgate.process.runtime",
        ),
    ),
    Layer(
        "faces",
        (
            "hfgate.api.es",
            "hfgate.api.openai",
            "hfgate.api.anthropic",
            "hfgate.api.gemini",
            "hfgate.api.hf",
            "hfgate.api.ui",
        ),
        peers=True,
        avoids=frozenset({"services", "backends"}),
    ),
    Layer("api", ("hfgate.api",)),
    # Files and Batches: below the faces that serve them, above the registry; a line reaches the app as an
    # ASGI callable handed in at start-up, never by import
    Layer("batches", ("hfgate.batches",)),
    Layer("orchestrator", ("hfgate.orchestrator",)),
    Layer("services", ("hfgate.services",)),
    Layer("backends", ("hfgate.upstream", "hfgate.local"), peers=True),
    Layer("contract", ("hfgate.services.base", "hfgate.services.spec")),
    Layer(
        "base",
        (
            "hfgate.process",
            "hfgate.access",
            "hfgate.fleet",
            "hfgate.ratelimit",
            "hfgate.embed_cache",
            "hfgate.telemetry",
            "hfgate.registry",
            "hfgate.chunking",
            "hfgate.pipelines",
            "hfgate.tasks",
            "hfgate.chat",
            "hfgate.images",
            "hfgate.errors",
            "hfgate.config",
        ),
        ordered=True,
        modules=(PACKAGE,),
    ),
)
