"""OpenAI's error shape: ``{"error": {"message", "type", "param", "code"}}``."""

from __future__ import annotations

from typing import Any

from hfgate.api.face import Face
from hfgate.errors import EndpointNotFoundError, HfGateError, NotFoundError

_TYPES = {401: "authentication_error", 403: "permission_error", 404: "invalid_request_error",
          429: "rate_limit_error"}  # fmt: skip


_NOT_FOUND = {"previous_response_id": "previous_response_not_found"}
"""OpenAI's code for a ``previous_response_id`` it does not hold (what Codex and the Open Responses suite
test for, to start a chain again)."""


def render_openai(path: str, error: HfGateError) -> tuple[int, dict[str, Any]]:
    """Status and body as OpenAI's API would send them."""
    kind = "server_error" if error.status >= 500 else _TYPES.get(error.status, "invalid_request_error")
    code: str | None = error.error_type
    if isinstance(error, NotFoundError):
        code = (
            "model_not_found"
            if isinstance(error, EndpointNotFoundError)
            else _NOT_FOUND.get(error.param or "", "not_found")
        )
    body = {"error": {"message": error.reason, "type": kind, "param": error.param, "code": code}}
    return error.status, body


FACE = Face("openai", ("/v1/", "/rerank", "/v2/rerank", "/classify", "/score"), render_openai)
"""``/rerank`` and ``/v2/rerank`` are Cohere's and Jina's paths for the OpenAI face's rerank; ``/classify`` and
``/score`` vLLM's pooling routes."""
