"""How the ``hugging_face`` service addresses an upstream: the call, its deadline, and who answered."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from hfgate.chat.messages import ChatMessage
from hfgate.errors import BadRequestError
from hfgate.pipelines import PipelineRequest
from hfgate.registry.endpoint import Endpoint
from hfgate.services.hugging_face.routing import ROUTER, Route
from hfgate.services.hugging_face.typed import HfSettings
from hfgate.tasks import ChatRequest, EmbedRequest, GenerateRequest, RerankRequest, ResponsesRelay
from hfgate.telemetry.request_scope import name_server
from hfgate.upstream.engines.base import ChatProtocol
from hfgate.upstream.http.affinity import SessionKey
from hfgate.upstream.http.client import Call
from hfgate.upstream.wire.chat_tools import tool_options

log = logging.getLogger("hfgate.services.hugging_face")
PROVIDER_HEADER = "x-inference-provider"  # the router names the provider that answered (huggingface/chat-ui)


Request = EmbedRequest | GenerateRequest | ChatRequest | RerankRequest | ResponsesRelay | PipelineRequest


def call_for(
    endpoint: Endpoint, settings: HfSettings, route: Route, *, request: Request, affinity: SessionKey | None = None
) -> Call:
    """A call within the endpoint's rate limit, with its token and the request's deadline (the one the
    orchestrator set, which also bounds the whole call; the task type's default for a direct call), which
    its retries and waits keep within; ``affinity`` picks among several ``urls`` by session (``session_key``)."""
    return Call(
        inference_id=endpoint.inference_id,
        api_key=endpoint.secrets.get("api_key", ""),
        timeout=request.timeout or endpoint.task_type.default_timeout,
        target=route.target,
        requests_per_minute=settings.requests_per_minute,
        model=route.target,
        scale_up=not route.hosted,  # a scaled-to-zero Inference Endpoint holds the request instead of a 503
        upstreams=settings.urls,
        affinity=affinity,
    )


def plain_call(endpoint: Endpoint, *, timeout: float) -> Call:
    """A call outside the endpoint's rate limit (Hub, endpoints API, ``/info``, ``/v1/models``)."""
    return Call(inference_id=endpoint.inference_id, api_key=endpoint.secrets.get("api_key", ""), timeout=timeout)


def answered(endpoint: Endpoint, route: Route) -> Callable[[Mapping[str, str]], None]:
    """Reports who answered (the router's provider header, else the route's engine or provider) to the
    request's response headers and the log."""

    def seen(headers: Mapping[str, str]) -> None:
        by = route.by
        if by == ROUTER:
            by = next((v for k, v in headers.items() if k.lower() == PROVIDER_HEADER), "") or ROUTER
        name_server(by)
        log.debug("answered", extra={"event": "upstream.answered", "endpoint": endpoint.inference_id, "by": by})

    return seen


def wire_tools(request: ChatRequest, route: Route) -> dict[str, Any] | None:
    """The request's tool fields in OpenAI's shape, passed on as given (``None`` without any); a
    ``tool_prompt`` goes to a server that reads it (TGI).

    Raises:
        BadRequestError: a ``tool_prompt`` with tools for a server that does not read it.
    """
    if not request.tools and request.tool_choice is None and request.parallel_tool_calls is None:
        return None
    options = tool_options(request.tools, request.tool_choice, request.parallel_tool_calls)
    if request.tool_prompt is None or not request.tools:
        return options
    if not isinstance(route.protocol, ChatProtocol) or not route.protocol.carries_tool_prompt:
        raise BadRequestError(
            f"[tool_prompt] is TGI's own field and [{route.by}] ({route.target}) does not read it; leave it out, "
            "put the words in a system message, or use an endpoint served by TGI or a local model",
            param="tool_prompt",
        )
    return options | {"tool_prompt": request.tool_prompt}


def prompt_texts(request: ChatRequest) -> list[str]:
    """What the prompt's tokens are counted on: the messages, and the tools and earlier calls when
    there are any (the upstream reads them too)."""
    texts = [m.content for m in request.messages]
    if request.tools:
        texts.extend(json.dumps(t, ensure_ascii=False) for t in tool_options(request.tools, None, None)["tools"])
    texts.extend(f"{c.name} {c.arguments}" for m in request.messages for c in m.tool_calls)
    return texts


def as_chat(request: GenerateRequest) -> ChatRequest:
    """A completion request for a model offered only for chat: the prompt as one user message."""
    message = ChatMessage(role="user", content=request.prompt)
    return ChatRequest(messages=(message,), params=request.params, timeout=request.timeout)
