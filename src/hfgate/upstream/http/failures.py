"""Translation of upstream failures into hfgate's errors: the one place it happens.

Reasons follow Elasticsearch's wording (``Received a rate limit status code for request from inference
entity id [id] status [429]. Error message: [...]``) and statuses follow hfgate's contract: 401/403 stay
authentication errors, 429 stays a rate limit, other 4xx pass through, 5xx become 502, an unreachable
upstream is 502 and a timeout 504.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import orjson

from hfgate.errors import (
    RateLimitRefusedError,
    UpstreamAuthError,
    UpstreamBadRequestError,
    UpstreamError,
    UpstreamRateLimitError,
    UpstreamServerError,
    UpstreamTimeoutError,
    UpstreamUnreachableError,
)
from hfgate.telemetry.metrics import RATE_LIMIT_REJECTIONS
from hfgate.upstream.http.call import Call
from hfgate.upstream.http.transport import (
    ConnectFailedError,
    ForbiddenAddressError,
    HostNotFoundError,
    TimedOutError,
    TransportError,
)

_MAX_MESSAGE = 500
AUTH_STATUSES = frozenset({401, 403})


def status_error(
    *, inference_id: str, status: int, body: bytes, headers: Mapping[str, str] | None = None
) -> UpstreamError:
    """The error for an upstream answer with a non-2xx ``status``.

    Example:
        >>> status_error(inference_id="e5", status=429, body=b'{"error": "Rate limit reached"}').reason
        'Received a rate limit status code for request from inference entity id [e5] status [429]. Error message: [Rate limit reached]'
    """  # noqa: E501
    message = error_message(body, headers or {})
    if status in AUTH_STATUSES:
        return UpstreamAuthError(
            _received("an authentication error", inference_id, status=status, message=message), status=status
        )
    if status == 429:
        return UpstreamRateLimitError(_received("a rate limit", inference_id, status=status, message=message))
    if status >= 500:
        return UpstreamServerError(_received("a server error", inference_id, status=status, message=message))
    if 300 <= status < 400:
        return UpstreamServerError(
            _received("a redirect", inference_id, status=status, message=f"to {(headers or {}).get('Location')}")
            + " hfgate follows redirects only within the url's own host; set the endpoint's url to the final address"
        )
    if status == 413:
        return UpstreamBadRequestError(
            _received("a content too large", inference_id, status=status, message=message), status=413
        )
    return UpstreamBadRequestError(
        _received("an unsuccessful", inference_id, status=status, message=message), status=status
    )


def token_refused(*, api: str, subject: str, status: int, fix: str) -> UpstreamAuthError:
    """The error for a Hugging Face API (the Hub, Inference Endpoints) that refused the token (401/403).

    Example:
        >>> token_refused(api="The Hub", subject="model [m]", status=401, fix="a valid token.").reason
        'The Hub refused the access token for model [m] (status [401]). Check [api_key]: a valid token.'
    """
    return UpstreamAuthError(
        f"{api} refused the access token for {subject} (status [{status}]). Check [api_key]: {fix}", status=status
    )


def transport_error(exc: TransportError, *, inference_id: str, timeout: float) -> UpstreamError:
    """The error for a request that got no HTTP answer."""
    if isinstance(exc, ForbiddenAddressError):
        return UpstreamBadRequestError(
            f"Refused to call [{_host(exc.url)}] for inference entity id [{inference_id}]: {exc.detail}, which "
            "hfgate never calls on a user's behalf. Point [service_settings.url] at a model server.",
            status=400,
        )
    if isinstance(exc, HostNotFoundError):
        return UpstreamUnreachableError(
            f"Invalid host [{_host(exc.url)}] for inference entity id [{inference_id}]: the name does not "
            f"resolve ({exc.detail}). Check the endpoint's url."
        )
    if isinstance(exc, ConnectFailedError):
        return UpstreamUnreachableError(
            f"Failed to connect to [{_host(exc.url)}] for inference entity id [{inference_id}] "
            f"({exc.detail}). Check the url and that the server is running."
        )
    if isinstance(exc, TimedOutError):
        return UpstreamTimeoutError(
            f"Request to [{exc.url}] for inference entity id [{inference_id}] timed out after "
            f"[{timeout:g}s]. Retry, or raise the request's timeout."
        )
    return UpstreamUnreachableError(
        f"The connection to [{_host(exc.url)}] for inference entity id [{inference_id}] broke before the "
        f"answer was complete ({exc.detail})."
    )


def stream_cut(*, inference_id: str, url: str) -> UpstreamUnreachableError:
    """The error for a stream that closed before its last event: a server killed mid-answer may close
    its socket cleanly (seen with vLLM 0.32.0 SIGKILLed), which looks like an ordinary end of stream."""
    return UpstreamUnreachableError(
        f"The stream from [{_host(url)}] for inference entity id [{inference_id}] ended before the answer "
        "was complete (no finish reason or final event): the server stopped mid-answer. Retry the request."
    )


def malformed_response(*, inference_id: str, url: str, problem: str) -> UpstreamServerError:
    """The error for a 2xx answer whose body is not what the protocol promises."""
    return UpstreamServerError(
        f"Failed to parse the response from [{url}] for inference entity id [{inference_id}]: {problem}"
    )


def still_loading(*, inference_id: str, model: str, timeout: float) -> UpstreamTimeoutError:
    """The error for a model still loading (503) when the request's time ran out."""
    return UpstreamTimeoutError(
        f"Model [{model}] for inference entity id [{inference_id}] was still loading when the request's "
        f"timeout [{timeout:g}s] ran out. Retry in a little while, or raise the timeout."
    )


# TGI's lowercase error types, and the HTTP status it answers them with outside a stream.
_EVENT_STATUS = {"validation": 422, "overloaded": 429, "generation": 424, "incomplete_generation": 500}


def event_error(*, inference_id: str, event: Mapping[str, Any]) -> UpstreamError:
    """The error for an error event or a 2xx error body (``{"error": …, "error_type": …}``)."""
    error_type = str(event.get("error_type", "")).lower()
    status = _EVENT_STATUS.get(error_type, 502)
    return status_error(inference_id=inference_id, status=status, body=orjson.dumps(dict(event)))


def with_reason(exc: UpstreamError, reason: str) -> UpstreamError:
    """A copy of ``exc`` (same type and status) that says ``reason``; for create-time checks."""
    clone = copy.copy(exc)
    clone.reason = reason
    clone.args = (reason,)
    return clone


def error_message(body: bytes, headers: Mapping[str, str]) -> str:
    """The upstream's own error text: ``error`` (string or list), ``error_description``,
    ``errors[].message``, ``message``, the ``X-Error-Message`` header, or the plain-text body."""
    parsed = _json_or_none(body)
    message = _message_from_json(parsed) if isinstance(parsed, dict) else None
    if message is None:
        message = headers.get("X-Error-Message") or body.decode("utf-8", "replace").strip()
    return message[:_MAX_MESSAGE]


def _message_from_json(body: dict[str, Any]) -> str | None:
    error = body.get("error")
    if isinstance(error, list):
        return "; ".join(str(item) for item in error)
    if isinstance(error, dict):
        error = error.get("message")
    if isinstance(error, str):
        return error
    for key in ("error_description", "message", "detail"):
        if isinstance(body.get(key), str):
            return str(body[key])
    errors = body.get("errors")
    if isinstance(errors, list):
        return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
    return None


def _json_or_none(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def _received(kind: str, inference_id: str, *, status: int, message: str) -> str:
    return (
        f"Received {kind} status code for request from inference entity id [{inference_id}] "
        f"status [{status}]. Error message: [{message}]"
    )


def _host(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0]


def rate_limit_refused(call: Call, exc: RateLimitRefusedError, *, max_waiting: int) -> UpstreamRateLimitError:
    """The 429 of a request the rate limiter would not admit (queue full, or the slot after its deadline)."""
    RATE_LIMIT_REJECTIONS(call.inference_id, exc.why).inc()
    limit = f"[{call.requests_per_minute:g}] requests per minute"
    if exc.why == "queue_full":
        detail = f"[{max_waiting}] requests are already waiting for this upstream"
    else:
        detail = f"the next free slot is in [{exc.wait:.1f}s], after the request's timeout [{call.timeout:g}s]"
    return UpstreamRateLimitError(
        f"Rate limit of {limit} reached for inference entity id [{call.inference_id}]: {detail}. Retry "
        "later, or raise [service_settings.rate_limit.requests_per_minute] if the upstream allows it."
    )
