"""How the ``hugging_face`` service addresses an upstream: the target, the call, and its deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from hfgate.registry.endpoint import Endpoint
from hfgate.services.hugging_face.settings import DEFAULT_REQUESTS_PER_MINUTE
from hfgate.tasks import ChatMessage, ChatRequest, GenerateRequest
from hfgate.upstream.http import failures
from hfgate.upstream.http.client import Call
from hfgate.upstream.target import ServerUrl, Target, target_for


def target_of(endpoint: Endpoint, *, inference_url: str) -> Target:
    """Where ``endpoint`` is reached; with several ``urls``, the first (the client balances the call)."""
    settings = endpoint.service_settings
    urls = settings.get("urls")
    if urls:
        return ServerUrl(str(urls[0]))
    return target_for(settings, inference_url=inference_url)


def call_for(endpoint: Endpoint, target: Target, *, timeout: float) -> Call:
    """A call within the endpoint's rate limit, with its token and deadline."""
    limit = endpoint.service_settings.get("rate_limit") or {}
    return Call(
        inference_id=endpoint.inference_id,
        api_key=endpoint.secrets.get("api_key", ""),
        timeout=timeout,
        target=target.target,
        requests_per_minute=limit.get("requests_per_minute", DEFAULT_REQUESTS_PER_MINUTE),
        model=target.target,
        scale_up=target.scale_up,
        upstreams=tuple(endpoint.service_settings.get("urls") or ()),
    )


def plain_call(endpoint: Endpoint, *, timeout: float) -> Call:
    """A call outside the endpoint's rate limit (Hub, endpoints API, ``/info``)."""
    return Call(inference_id=endpoint.inference_id, api_key=endpoint.secrets.get("api_key", ""), timeout=timeout)


async def within(call: Call, work: Awaitable[list[list[float]]]) -> list[list[float]]:
    """``work`` within the call's timeout, all batches and retries included."""
    try:
        async with asyncio.timeout(call.timeout):
            return await work
    except TimeoutError as exc:
        raise failures.deadline_passed(inference_id=call.inference_id, timeout=call.timeout) from exc


def as_chat(request: GenerateRequest) -> ChatRequest:
    """A completion request for a model the hosted API offers only for chat."""
    message = ChatMessage(role="user", content=request.prompt)
    return ChatRequest(messages=(message,), params=request.params, timeout=request.timeout)
