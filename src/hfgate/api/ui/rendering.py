"""Rendering the web page: its templates in each language, its static files, and JSON for its scripts."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import jinja2
from fastapi.responses import HTMLResponse

from hfgate.api.ui.i18n import LOCALES, PageText, translations
from hfgate.api.ui.script_messages import script_messages_json

if TYPE_CHECKING:
    from hfgate.api.ui.access import Access

_WEB = files("hfgate") / "web"
_STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Everything the page loads comes from this server; scripts and styles only from files.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@cache
def templates(locale_tag: str) -> jinja2.Environment:
    """The templates in one language (one environment per locale, so rendering shares no state)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hfgate", "web/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    # Whitespace inside {% trans %} is collapsed, as babel.cfg's ``trimmed`` does when extracting.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(translations(locale_tag), newstyle=True)  # type: ignore[attr-defined]
    return env


@cache
def static_files() -> dict[str, tuple[bytes, str]]:
    """The static files by name, read once; nothing outside this folder can be asked for."""
    found = {}
    for entry in (_WEB / "static").iterdir():
        kind = _STATIC_TYPES.get("." + entry.name.rpartition(".")[2])
        if kind is not None:
            found[entry.name] = (entry.read_bytes(), kind)
    return found


def render_page(
    name: str, access: Access, *, text: PageText, here: str, status: int = 200, **context: Any
) -> HTMLResponse:
    """Render page ``name`` in ``text``'s language; ``here`` is where the language switcher returns."""
    html = (
        templates(text.locale.tag)
        .get_template(name)
        .render(
            access=access,
            page=name,
            text=text,
            locale=text.locale,
            locales=LOCALES.values(),
            here=here,
            script_messages=script_messages_json(text),
            **context,
        )
    )
    headers = {**_PAGE_HEADERS, "Content-Language": text.locale.tag, "Vary": "Cookie, Accept-Language"}
    return HTMLResponse(html, status_code=status, headers=headers)


def script_json(value: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``</script>`` can close it early."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
