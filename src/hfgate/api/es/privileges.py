"""``GET|POST /_security/user/_has_privileges``: which of the asked privileges the request's key holds
(see :mod:`hfgate.access.privileges`), in Elasticsearch's shape."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from hfgate.access.principal import ANY_KEY, CURRENT
from hfgate.access.privileges import check
from hfgate.api.body import json_object
from hfgate.api.declare import FaceRoutes
from hfgate.api.es.errors import FACE as ES
from hfgate.api.es.security import OWNER, caller_grants
from hfgate.api.es.security_schema import PrivilegesAsked, PrivilegesHeld

ROUTES = FaceRoutes(ES, tag="_security: keys and usage", error=None)


# what the caller's own key holds: any key may ask
@ROUTES.get("/_security/user/_has_privileges", role=ANY_KEY, answer=PrivilegesHeld)
@ROUTES.post("/_security/user/_has_privileges", role=ANY_KEY, body=PrivilegesAsked, answer=PrivilegesHeld)
async def has_privileges(request: Request) -> dict[str, Any]:
    """The privileges asked (``cluster``, ``index``, ``application``), each held or not by the caller."""
    username = OWNER if CURRENT.get() is not None else "_anonymous"
    return {"username": username, **check(caller_grants(), await json_object(request))}
