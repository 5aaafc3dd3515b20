"""``GET /_usage?key=&endpoint=&from=&to=&by=hour|day``: usage and spend per hour (or day) × key × endpoint
(see :mod:`hfgate.access.usage_report`); hfgate's own route, on no face's paths (``other``), its errors in
Elasticsearch's envelope."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query

from hfgate.access.principal import bootstrap_principal
from hfgate.access.roles import Role
from hfgate.access.spend import ANONYMOUS
from hfgate.access.usage_report import PERIODS, report
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import AccessDep, SettingsDep
from hfgate.api.es.security_schema import UsageReport
from hfgate.api.faces import OTHER
from hfgate.errors import RequestValidationError

ROUTES = FaceRoutes(OTHER, tag="usage", error=None)


@ROUTES.get("/_usage", role=Role.MONITOR, answer=UsageReport)
async def usage(
    access: AccessDep, settings: SettingsDep, *, key: str | None = None, endpoint: str | None = None,
    start: Annotated[str | None, Query(alias="from")] = None, end: Annotated[str | None, Query(alias="to")] = None,
    by: str = "hour",
) -> dict[str, Any]:  # fmt: skip
    """Usage and spend per hour (``by=day``: per UTC day) × key × endpoint, this replica's latest calls included."""
    if by not in PERIODS:
        raise RequestValidationError([f"[by] must be one of {sorted(PERIODS)}; got [{by}]"], param="by")
    await access.usage.flush()
    rows = await asyncio.to_thread(
        access.usage_store.query, key_id=key, inference_id=endpoint,
        start=_moment(start, field="from"), end=_moment(end, field="to"),
    )  # fmt: skip
    keys = await asyncio.to_thread(access.keys.list)
    names = {k.key_id: k.name for k in keys} | {ANONYMOUS: "anonymous"}
    names |= {p.key_id: p.name for p in map(bootstrap_principal, settings.api_keys)}
    return report(rows, names=names, by="day" if by == "day" else "hour")


def _moment(raw: str | None, *, field: str) -> datetime | None:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise RequestValidationError(
            [f"[{field}] must be an ISO 8601 date or time such as [2026-11-22] or [2026-11-22T18:00:00Z]; got [{raw}]"],
            param=field,
        ) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
