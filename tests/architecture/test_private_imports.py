"""No module of hfgate imports a private name of a dependency (issue #53): not a private module
(``uvicorn._types``), not a private name from a public one (``from x import _y``); no class of hfgate
overrides a private member of a dependency's class it subclasses (uvicorn's ``_start_asgi_task``), and no
object's class is swapped (``x.__class__ = …``). What a dependency keeps private may change in any
release; hfgate leans only on what they publish."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

import hfgate

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "hfgate"
SET_BY_ABCMETA = "_abc_impl"


def private_imports(source: str) -> Iterator[str]:
    """Each import of a private module or name outside ``hfgate``, as written."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
            names: list[str] = []
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules, names = [node.module], [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            if module.split(".")[0] in (PACKAGE, "__future__"):
                continue
            if any(part.startswith("_") and not part.startswith("__") for part in module.split(".")):
                yield module
            yield from (f"{module}.{n}" for n in names if n.startswith("_") and not n.startswith("__"))


def test_no_module_imports_a_private_name_of_a_dependency() -> None:
    found = {
        f"{path.relative_to(SRC)}: {name}"
        for path in sorted((SRC / PACKAGE).rglob("*.py"))
        for name in private_imports(path.read_text(encoding="utf-8"))
    }
    assert not found, f"private names of dependencies imported: {sorted(found)}"


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from uvicorn._types import ASGI3Application", ["uvicorn._types"]),
        ("import starlette._utils", ["starlette._utils"]),
        ("from diskcache.core import _row_insert, MODE_RAW", ["diskcache.core._row_insert"]),
        ("def f():\n    from fastapi._compat import x", ["fastapi._compat"]),
        ("from hfgate.api import _private\nfrom __future__ import annotations", []),
        ("from dataclasses import dataclass\nimport os.path", []),
    ],
)
def test_each_form_of_a_private_import_is_seen(source: str, found: list[str]) -> None:
    assert list(private_imports(source)) == found


def private_overrides(modules: Iterable[ModuleType]) -> Iterator[str]:
    """Each private member a class defined in ``modules`` overrides in a base class of a dependency (not
    hfgate's, not the standard library's)."""
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            for base in cls.__mro__[1:]:
                top = base.__module__.split(".")[0]
                if top in (PACKAGE, "builtins") or top in sys.stdlib_module_names:
                    continue
                for name in cls.__dict__:
                    private = name.startswith("_") and not name.startswith("__") and name != SET_BY_ABCMETA
                    if private and name in base.__dict__:
                        yield f"{cls.__module__}.{cls.__qualname__}.{name} ({base.__module__}.{base.__qualname__})"


def test_no_class_overrides_a_private_member_of_a_dependency() -> None:
    modules = [importlib.import_module(m.name) for m in pkgutil.walk_packages(hfgate.__path__, f"{PACKAGE}.")]
    found = sorted(set(private_overrides(modules)))
    assert not found, f"private members of dependencies' classes overridden: {found}"


def test_an_override_of_a_dependency_s_private_method_is_seen() -> None:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    module = ModuleType("hfgate.example")

    class Protocol(HttpToolsProtocol):
        def _start_asgi_task(self, *args: object) -> None: ...

        def _own_helper(self) -> None: ...

    Protocol.__module__ = module.__name__
    module.Protocol = Protocol  # type: ignore[attr-defined]
    assert list(private_overrides([module])) == [
        "hfgate.example.test_an_override_of_a_dependency_s_private_method_is_seen.<locals>.Protocol"
        "._start_asgi_task (uvicorn.protocols.http.httptools_impl.HttpToolsProtocol)"
    ]


def test_no_module_swaps_an_object_s_class() -> None:
    found = [
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path in sorted((SRC / PACKAGE).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Attribute) and t.attr == "__class__" for t in node.targets)
    ]
    assert not found, f"an object's class swapped at {found}"
