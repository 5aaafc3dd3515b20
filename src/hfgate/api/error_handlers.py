"""The app's exception handlers: every error answered in the shape of the face the request came through
(:mod:`hfgate.api.faces`). Unexpected exceptions are logged with the request id and answered with a 500
that leaks nothing, by :class:`hfgate.api.gateway.Gateway`, on a connection that stays open.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError as FastAPIValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from hfgate.api.faces import error_response
from hfgate.errors import BadRequestError, HfGateError, NotFoundError, ParseError

log = logging.getLogger("hfgate.api")


def install_error_handlers(app: FastAPI) -> None:
    """Answer every exception the app can raise in the shape of its face (:func:`hfgate.api.faces.error_response`)."""

    async def on_hfgate(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HfGateError)
        return error_response(request.url.path, exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FastAPIValidationError)
        return error_response(request.url.path, _from_fastapi(exc))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return error_response(request.url.path, _from_http(request, exc))

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        return error_response(request.url.path, internal_error(request.scope, exc))

    app.add_exception_handler(HfGateError, on_hfgate)
    app.add_exception_handler(FastAPIValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)


def _from_fastapi(exc: FastAPIValidationError) -> HfGateError:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("query", "path", "body"))
    return ParseError(f"Invalid value for [{where}]: {first.get('msg', 'invalid')}", param=where or None)


def _from_http(request: Request, exc: StarletteHTTPException) -> HfGateError:
    if exc.status_code == 404:
        return NotFoundError(f"no handler found for uri [{request.url.path}] and method [{request.method}]")
    reason = str(exc.detail)
    if exc.status_code == 405:
        reason = f"Incorrect HTTP method for uri [{request.url.path}] and method [{request.method}]"
    error = BadRequestError(reason) if exc.status_code < 500 else HfGateError(reason)
    error.status = exc.status_code
    return error


def internal_error(scope: Scope, exc: BaseException) -> HfGateError:
    """Log an unexpected exception with the request id; the 500 to answer, naming that id."""
    request_id = scope.get("state", {}).get("request_id", "-")
    log.error("unexpected error", exc_info=exc, extra={"event": "request.error", "request_id": request_id})
    return HfGateError(f"Internal error while handling the request; request id [{request_id}]")
