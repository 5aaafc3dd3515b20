"""MkDocs hook: the configuration page's table, generated from ``hfgate.config.Settings`` at build time.

``docs/configuration.md`` holds the marker ``<!-- settings-table -->``; this hook replaces it with one row
per field of ``Settings`` (variable, type, default, meaning), so the page can never drift from the code.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any, get_args, get_origin

MARKER = "<!-- settings-table -->"
ROOT = Path(__file__).resolve().parents[1]


def _settings_class() -> Any:
    # The site is built from a checkout: its own sources come first, whatever hfgate the venv holds.
    sys.path.insert(0, str(ROOT / "src"))
    from hfgate.config import Settings

    return Settings


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is None:
        return getattr(annotation, "__name__", str(annotation))
    args = [a for a in get_args(annotation) if a is not type(None)]
    if origin is types.UnionType or str(origin) == "typing.Union":
        return " or ".join(_type_name(a) for a in args)
    if str(origin) == "typing.Literal":
        return " / ".join(f"`{a}`" for a in get_args(annotation))
    if str(origin) == "typing.Annotated":
        return _type_name(args[0])
    return getattr(origin, "__name__", str(origin))


def _default(field: Any) -> str:
    value = field.get_default(call_default_factory=True)
    if value is None or value == [] or value == {}:
        return "none"
    if isinstance(value, Path):
        value = str(value).replace(str(Path.home()), "~", 1)
    if isinstance(value, bool):
        value = str(value).lower()
    return f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def settings_table() -> str:
    """One Markdown table row per ``Settings`` field, in the class's order."""
    settings = _settings_class()
    prefix = settings.model_config.get("env_prefix", "")
    rows = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for name, field in settings.model_fields.items():
        variable = f"`{prefix}{name.upper()}`"
        kind = _type_name(field.annotation)
        rows.append(f"| {variable} | {_cell(kind)} | {_cell(_default(field))} | {_cell(field.description or '')} |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """MkDocs event: fill the marker wherever a page holds it."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, settings_table())
