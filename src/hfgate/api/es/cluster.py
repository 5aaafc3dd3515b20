"""``GET /`` and ``HEAD /`` as Elasticsearch answers them, and its product header.

Elasticsearch's official clients call ``HEAD /`` (``ping``) and ``GET /`` (``info``), and from 8.0 on
refuse every 2xx answer that lacks ``X-Elastic-Product: Elasticsearch``, which Elasticsearch sends on
all its responses. hfgate sends it on the Elasticsearch face (``/_inference…``, ``/_security…`` and ``/``). A browser
asking for ``/`` (``Accept: text/html``) is sent to the web page instead. ``/`` stays open without a
gateway key, as it was for the page, so it serves as a liveness probe; it names no host.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from hfgate import __version__
from hfgate.access.principal import OPEN
from hfgate.api.body import json_response
from hfgate.api.declare import FaceRoutes
from hfgate.api.es.errors import FACE

ROUTES = FaceRoutes(FACE, tag="elasticsearch", error=None)

PRODUCT_HEADER = (b"x-elastic-product", b"Elasticsearch")
# The Elasticsearch release whose inference API hfgate speaks (its clients read ``version.number``).
COMPATIBLE_VERSION = "8.19.0"
_CLUSTER_UUID = uuid.uuid5(uuid.NAMESPACE_DNS, "hfgate").hex


@ROUTES.get("/", role=OPEN, answer=dict[str, Any])
async def cluster_info(request: Request) -> Response:
    """Elasticsearch's ``GET /``: who answers, and which version of the API it speaks."""
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse("/ui/", status_code=307)
    return json_response(
        {
            "name": "hfgate",
            "cluster_name": "hfgate",
            "cluster_uuid": _CLUSTER_UUID,
            "version": {
                "number": COMPATIBLE_VERSION,
                "build_flavor": "default",
                "build_type": "hfgate",
                "build_hash": __version__,
                "minimum_wire_compatibility_version": "7.17.0",
                "minimum_index_compatibility_version": "7.0.0",
            },
            "tagline": "You Know, for Search",
        }
    )


@ROUTES.head("/", role=OPEN)
async def ping() -> Response:
    """Elasticsearch's ``HEAD /`` (the clients' ``ping``): 200 and no body."""
    return Response(status_code=200, media_type="application/json")
