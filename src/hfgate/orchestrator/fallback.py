"""An endpoint's ``fallback``: another endpoint of the same task type, used when all of its own
upstreams fail (unreachable, or a server error after every retry and every other url).

One hop only: a fallback's own fallback is not followed, so a loop of fallbacks cannot form a loop of
calls. The fallback is named in ``service_settings.fallback``; it is checked when an endpoint is
created or updated, and again when used (it may have been deleted or replaced since).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from hfgate.errors import (
    BadRequestError,
    EndpointNotFoundError,
    HfGateError,
    UpstreamServerError,
    UpstreamUnreachableError,
)
from hfgate.registry.endpoint import Endpoint
from hfgate.telemetry.metrics import FALLBACKS

log = logging.getLogger("hfgate.orchestrator")

FALLBACK = "fallback"
#: Failures that mean "this endpoint's upstreams are down", not "this request is wrong".
FAILOVER_ERRORS = (UpstreamUnreachableError, UpstreamServerError)

Find = Callable[[str], Awaitable[Endpoint]]


async def check_fallback(endpoint: Endpoint, find: Find) -> None:
    """Refuse a ``fallback`` that is the endpoint itself, missing, or of another task type.

    Raises:
        BadRequestError: naming ``service_settings.fallback`` and the fix.
    """
    name = endpoint.service_settings.get(FALLBACK)
    if not name:
        return
    if name == endpoint.inference_id:
        raise _bad(f"[{name}] is this endpoint itself; name another endpoint of the same task type")
    try:
        other = await find(str(name))
    except EndpointNotFoundError as exc:
        raise _bad(f"no inference endpoint [{name}] exists; create it first, then name it here") from exc
    if other.task_type is not endpoint.task_type:
        raise _bad(
            f"endpoint [{name}] is a [{other.task_type.value}] endpoint but this one is "
            f"[{endpoint.task_type.value}]; a fallback must have the same task type"
        )


async def fallback_for(endpoint: Endpoint, failure: HfGateError, *, find: Find) -> Endpoint | None:
    """The endpoint to try after ``failure``, or ``None`` (no fallback, or not a failover failure)."""
    name = endpoint.service_settings.get(FALLBACK)
    if not name or not isinstance(failure, FAILOVER_ERRORS):
        return None
    try:
        other = await find(str(name))
    except EndpointNotFoundError:
        log.warning("fallback missing", extra={"event": "fallback.missing", "endpoint": endpoint.inference_id})
        return None
    if other.task_type is not endpoint.task_type:
        return None
    FALLBACKS(endpoint.inference_id, other.inference_id).inc()
    log.warning(
        "using fallback endpoint",
        extra={
            "event": "fallback.used",
            "endpoint": endpoint.inference_id,
            "fallback": other.inference_id,
            "reason": failure.reason,
        },
    )
    return other


def _bad(problem: str) -> BadRequestError:
    return BadRequestError(f"[service_settings.fallback] {problem}", param="service_settings.fallback")
