"""The web page's usage view (per key and per endpoint, with a chart) and its list of API keys."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from fastapi import Request
from fastapi.responses import Response

from hfgate.access.principal import bootstrap_principal
from hfgate.access.roles import Role
from hfgate.access.spend import ANONYMOUS, usd
from hfgate.api.declare import PageRoutes
from hfgate.api.deps import AccessDep as AccessControlDep
from hfgate.api.deps import SettingsDep
from hfgate.api.ui.access import AccessDep, TextDep, to_login
from hfgate.api.ui.rendering import render_page
from hfgate.api.ui.usage_view import sections, spend_per_day

PAGES = PageRoutes()
MAX_HOURS = 2160  # 90 days


@PAGES.get("/ui/usage", role=Role.MONITOR)
async def usage_page(
    request: Request, access: AccessDep, *, text: TextDep, keys: AccessControlDep, settings: SettingsDep,
    hours: int = 24,
) -> Response:  # fmt: skip
    """Requests and tokens per key and per endpoint over the last ``hours``."""
    if not access.allowed:
        return to_login(request)
    hours = min(max(hours, 1), MAX_HOURS)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(hours=hours - 1)
    await keys.usage.flush()
    rows = await asyncio.to_thread(keys.usage_store.query, start=start)
    stored = await asyncio.to_thread(keys.keys.list)
    names = {k.key_id: k.name for k in stored} | {ANONYMOUS: text.gettext("anonymous")}
    names |= {p.key_id: f"{p.name} ({p.key_id})" for p in map(bootstrap_principal, settings.api_keys)}
    return render_page(
        "usage.html",
        access,
        text=text,
        here=str(request.url.path),
        title=text.gettext("Usage"),
        hours=hours,
        start=start.strftime("%Y-%m-%d %H:00"),
        end=(now + timedelta(hours=1)).strftime("%Y-%m-%d %H:00"),
        sections=sections(rows, names=names, start=start, hours=hours),
        spend=spend_per_day(rows, names=names),
        usd=usd,
    )


@PAGES.get("/ui/keys", role=Role.ADMIN)
async def keys_page(request: Request, access: AccessDep, *, text: TextDep, keys: AccessControlDep) -> Response:
    """Every API key: roles, endpoints, limits and state (never a secret)."""
    if not access.allowed:
        return to_login(request)
    found = await asyncio.to_thread(keys.keys.list)
    return render_page(
        "keys.html", access, text=text, here="/ui/keys", title=text.gettext("API keys"), keys=found, usd=usd
    )
