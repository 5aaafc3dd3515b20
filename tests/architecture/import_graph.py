"""Read the imports of a source tree and report those that break the layer table."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.architecture.layers import Layer


@dataclass(frozen=True, slots=True)
class Place:
    """Where a module sits: its layer and, in a layer of peers, the prefix that is its unit."""

    rank: int
    layer: Layer
    unit: str


def read_tree(root: Path) -> dict[str, str]:
    """Module name to source, for every ``.py`` file under ``root`` (the folder holding the package)."""
    sources = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        sources[name] = path.read_text(encoding="utf-8")
    return sources


def imports_of(source: str, *, package: str) -> Iterator[str]:
    """The ``package`` modules a source imports, anywhere in it (lazy imports inside functions too)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        yield from (name for name in names if name == package or name.startswith(f"{package}."))


def place(module: str, layers: tuple[Layer, ...]) -> Place:
    """The layer of the longest prefix naming ``module``.

    Raises:
        LookupError: no layer names the module; the table needs a row for it.
    """
    matches = [
        (len(prefix), rank, layer, prefix)
        for rank, layer in enumerate(layers)
        for prefix in layer.prefixes
        if module == prefix or module.startswith(f"{prefix}.")
    ]
    if not matches:
        raise LookupError(f"{module} is in no layer; add its prefix to tests/architecture/layers.py")
    _, rank, layer, prefix = max(matches, key=lambda match: match[0])
    return Place(rank=rank, layer=layer, unit=prefix)


def crossing(importer: Place, imported: Place) -> str | None:
    """Why ``importer`` may not import ``imported``, or None when it may."""
    if imported.rank < importer.rank:
        return f"imports the {imported.layer.name} layer, above its own ({importer.layer.name})"
    if imported.layer.name in importer.layer.avoids:
        return f"the {importer.layer.name} layer may not import the {imported.layer.name} layer"
    if importer.layer.peers and imported.rank == importer.rank and imported.unit != importer.unit:
        return f"{importer.unit} imports its peer {imported.unit}"
    return None


def crossings(sources: Mapping[str, str], *, layers: tuple[Layer, ...], package: str = "hfgate") -> list[str]:
    """Every import in ``sources`` that breaks the table, as ``importer -> imported: why``."""
    found = []
    for module, source in sorted(sources.items()):
        for imported in sorted(set(imports_of(source, package=package))):
            why = crossing(place(module, layers), place(imported, layers))
            if why:
                found.append(f"{module} -> {imported}: {why}")
    return found
