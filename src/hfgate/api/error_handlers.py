"""One place that renders every error in the shape of the face the request came through.

Faces register a renderer for their path prefix (``/v1`` OpenAI, ``/hf`` Hugging Face); everything
else gets Elasticsearch's envelope. Unexpected exceptions are logged with the request id and answered
with a 500 that leaks nothing, by :class:`hfgate.api.gateway.Gateway`, on a connection that stays open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError as FastAPIValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from hfgate.api.es.errors import es_error_body
from hfgate.errors import BadRequestError, HfGateError, KeyLimitError, ModelNotReadyError, NotFoundError, ParseError

log = logging.getLogger("hfgate.api")

Renderer = Callable[[str, HfGateError], tuple[int, dict[str, Any]]]
"""A face's error shape: (path, error) → (HTTP status, JSON body)."""


def render_es(path: str, error: HfGateError) -> tuple[int, dict[str, Any]]:
    return error.status, es_error_body(error)


class ErrorRenderers:
    """Renderers by path prefix, longest prefix first; Elasticsearch's by default."""

    def __init__(self) -> None:
        self._faces: list[tuple[str, Renderer]] = []

    def register(self, prefix: str, renderer: Renderer) -> None:
        self._faces.append((prefix, renderer))
        self._faces.sort(key=lambda face: len(face[0]), reverse=True)

    def render(self, path: str, error: HfGateError) -> Response:
        renderer = next((r for prefix, r in self._faces if path.startswith(prefix)), render_es)
        status, body = renderer(path, error)
        headers = _headers(status, error)
        return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def _headers(status: int, error: HfGateError) -> dict[str, str] | None:
    if status == 401:
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(error, KeyLimitError | ModelNotReadyError):
        return {"Retry-After": str(error.retry_after)}
    return None


def install_error_handlers(app: FastAPI, renderers: ErrorRenderers) -> None:
    """Route every exception the app can raise through ``renderers``."""

    async def on_hfgate(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HfGateError)
        return renderers.render(request.url.path, exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FastAPIValidationError)
        return renderers.render(request.url.path, _from_fastapi(exc))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return renderers.render(request.url.path, _from_http(request, exc))

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        return renderers.render(request.url.path, internal_error(request.scope, exc))

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
