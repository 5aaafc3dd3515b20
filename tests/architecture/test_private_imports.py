"""No module of hfgate imports a private name of a dependency (issue #53): not a private module
(``uvicorn._types``), not a private name from a public one (``from x import _y``). What a dependency keeps
private may change in any release; hfgate leans only on what they publish."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "hfgate"


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
