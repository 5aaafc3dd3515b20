"""Read the imports of a source tree and report those that break the layer table."""

from __future__ import annotations

import ast
import functools
from collections.abc import Collection, Iterator, Mapping
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


@functools.cache
def _absolute_imports(source: str) -> tuple[tuple[str | None, tuple[str, ...]], ...]:
    """Each absolute import statement of a source, anywhere in it: ``(module, names)`` for ``from module import
    names``, ``(None, modules)`` for ``import modules``. Parsed once per distinct source: the tests that add one
    line to one module of the tree parse only that module again."""
    found: list[tuple[str | None, tuple[str, ...]]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, tuple(alias.name for alias in node.names)))
        elif isinstance(node, ast.Import):
            found.append((None, tuple(alias.name for alias in node.names)))
    return tuple(found)


def imports_of(source: str, *, package: str) -> Iterator[str]:
    """The ``package`` modules a source imports, anywhere in it (lazy imports inside functions too)."""
    for module, names in _absolute_imports(source):
        for name in names if module is None else (module,):
            if name == package or name.startswith(f"{package}."):
                yield name


def imported_modules(source: str, *, package: str, known: Collection[str]) -> set[str]:
    """What ``imports_of`` finds, plus the modules ``from x import name`` imports when ``x.name`` is one of
    ``known`` (``from hfgate.process import drain`` imports ``hfgate.process.drain``, not only the package)."""
    found = set(imports_of(source, package=package))
    for module, names in _absolute_imports(source):
        if module is not None and module in found:
            found.update(f"{module}.{name}" for name in names if f"{module}.{name}" in known)
    return found


def place(module: str, layers: tuple[Layer, ...]) -> Place:
    """The layer of the longest prefix naming ``module`` (or of a layer naming it exactly).

    Raises:
        LookupError: no layer names the module; the table needs a row for it.
    """
    matches = [
        (len(prefix), rank, layer, prefix)
        for rank, layer in enumerate(layers)
        for prefix in layer.prefixes
        if module == prefix or module.startswith(f"{prefix}.")
    ]
    matches += [
        (len(name), rank, layer, name) for rank, layer in enumerate(layers) for name in layer.modules if module == name
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
    if importer.layer.ordered and imported.rank == importer.rank:
        order = (*importer.layer.prefixes, *importer.layer.modules)
        if order.index(imported.unit) < order.index(importer.unit):
            return f"{importer.unit} imports {imported.unit}, above it in the {importer.layer.name} layer's order"
    return None


def crossings(sources: Mapping[str, str], *, layers: tuple[Layer, ...], package: str = "hfgate") -> list[str]:
    """Every import in ``sources`` that breaks the table, as ``importer -> imported: why``."""
    found = []
    for module, source in sorted(sources.items()):
        for imported in sorted(imported_modules(source, package=package, known=sources)):
            why = crossing(place(module, layers), place(imported, layers))
            if why:
                found.append(f"{module} -> {imported}: {why}")
    return found


def circles(sources: Mapping[str, str], *, package: str = "hfgate") -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (every import counts, those
    under ``TYPE_CHECKING`` and inside functions too: a loop hidden there is still one concept in two
    places). Each group sorted; groups in order of their first module."""
    graph = {
        module: sorted(
            {
                name
                for name in imported_modules(source, package=package, known=sources)
                if name in sources and name != module
            }
        )
        for module, source in sources.items()
    }
    return sorted(sorted(group) for group in _strongly_connected(graph) if len(group) > 1)


def package_circles(sources: Mapping[str, str], *, package: str = "hfgate") -> list[list[str]]:
    """Groups of hfgate's packages (``hfgate.api``, ``hfgate.tasks``…: a module's first name below
    ``package``) that import each other, directly or round a loop; as :func:`circles`, one level up."""
    graph: dict[str, set[str]] = {}
    for module, source in sources.items():
        edges = graph.setdefault(_package_of(module, package=package), set())
        edges.update(
            _package_of(name, package=package) for name in imported_modules(source, package=package, known=sources)
        )
    for importer, imported in graph.items():
        imported.discard(importer)
    groups = _strongly_connected({name: sorted(edges & graph.keys()) for name, edges in graph.items()})
    return sorted(sorted(group) for group in groups if len(group) > 1)


def _package_of(module: str, *, package: str) -> str:
    return ".".join(module.split(".")[:2]) if module.startswith(f"{package}.") else module


def _strongly_connected(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iterative (no recursion limit on a deep import chain)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(graph[step])))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                groups.append(group)
    return groups
