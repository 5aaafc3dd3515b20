"""``GET|POST /_security/user/_has_privileges``: which of the asked privileges the request's key holds
(see :mod:`hfgate.access.privileges`), in Elasticsearch's shape."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from hfgate.access.principal import CURRENT
from hfgate.access.privileges import check
from hfgate.api.body import json_object
from hfgate.api.es.security import OWNER, caller_grants

router = APIRouter(tags=["_security: keys and usage"])


@router.get("/_security/user/_has_privileges")
@router.post("/_security/user/_has_privileges")
async def has_privileges(request: Request) -> dict[str, Any]:
    """The privileges asked (``cluster``, ``index``, ``application``), each held or not by the caller."""
    username = OWNER if CURRENT.get() is not None else "_anonymous"
    return {"username": username, **check(caller_grants(), await json_object(request))}
