"""Completion calls: one answer (with the transformers backends' unused-parameter retry), and a stream
whose last piece carries the usage, whichever engine's events it is made of."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from hfgate.chat.tools import ToolCallDelta
from hfgate.errors import UpstreamBadRequestError
from hfgate.services.hugging_face.routing import Route
from hfgate.tasks import GenerationDelta, GenerationParams, Usage
from hfgate.upstream.engines.base import GenerateProtocol
from hfgate.upstream.http import failures
from hfgate.upstream.http.client import Call, Seen, UpstreamClient
from hfgate.upstream.wire.common import UpstreamText
from hfgate.upstream.wire.tgi import unused_model_kwargs


async def generate_once(
    upstream: UpstreamClient,
    call: Call,
    protocol: GenerateProtocol,
    route: Route,
    *,
    prompt: str,
    settings: Mapping[str, Any],
    params: GenerationParams,
    seen: Seen,
) -> UpstreamText:
    """One generation; parameters a transformers backend says it does not use are dropped once."""
    url = protocol.url(route.address, stream=False)
    payload = protocol.payload(route.address, prompt, settings=settings, params=params, stream=False)
    try:
        return await upstream.post_json(call, url, payload=payload, parse=protocol.parse, seen=seen)
    except UpstreamBadRequestError as exc:
        unused = unused_model_kwargs(exc.reason)
        if not unused or not isinstance(payload.get("parameters"), dict):
            raise
    payload["parameters"] = {k: v for k, v in payload["parameters"].items() if k not in unused}
    return await upstream.post_json(call, url, payload=payload, parse=protocol.parse, seen=seen)


async def stream_generation(
    upstream: UpstreamClient,
    call: Call,
    url: str,
    *,
    payload: Any,
    parse: Callable[[Any], GenerationDelta],
    seen: Seen,
    count: Callable[[], Awaitable[int | None]],
) -> AsyncIterator[GenerationDelta]:
    """The upstream's streamed events (``payload`` POSTed to ``url``, each read by ``parse``) with empty
    pieces dropped and the finish held back to the end, so that a usage-only chunk after it (OpenAI's
    ``include_usage``) is folded into the last piece.

    The prompt is counted with the model's tokenizer where possible, else taken from the upstream.

    Raises:
        UpstreamUnreachableError: the events ended without a finish reason (every engine's stream, TGI's
            native one included, ends with one): the server stopped mid-answer, even if it closed cleanly.
    """
    final: GenerationDelta | None = None
    usage: Usage | None = None
    opened: set[int] = set()
    async for delta in upstream.stream_events(call, url, payload=payload, parse=parse, seen=seen):
        usage = delta.usage or usage
        if delta.tool_calls:
            delta = replace(delta, tool_calls=opened_once(delta.tool_calls, opened))
        if delta.finish_reason is not None:
            final = delta
        elif delta.text or delta.tool_calls or delta.reasoning:
            yield delta
    if final is None:
        raise failures.stream_cut(inference_id=call.inference_id, url=url)
    prompt = await count()
    reported = usage or Usage()
    total = Usage(
        prompt_tokens=prompt if prompt is not None else reported.prompt_tokens,
        completion_tokens=reported.completion_tokens,
        reasoning_tokens=reported.reasoning_tokens,
        cached_tokens=reported.cached_tokens,
    )
    reason = final.finish_reason
    if opened and reason == "eos_token":
        reason = "tool_calls"  # TGI and llama.cpp may say "stop" after calls (OpenAI and vLLM say "tool_calls")
    yield GenerationDelta(
        text=final.text, token_id=final.token_id, finish_reason=reason, usage=total, tool_calls=final.tool_calls,
        reasoning=final.reasoning,
    )  # fmt: skip


def opened_once(pieces: tuple[ToolCallDelta, ...], opened: set[int]) -> tuple[ToolCallDelta, ...]:
    """Pieces with a call's ``id`` and ``name`` on its first piece only: some servers repeat them on
    every piece, and clients that join pieces (the openai SDK) would repeat the name."""
    out = []
    for piece in pieces:
        if piece.index in opened and (piece.id or piece.name):
            piece = replace(piece, id=None, name=None)
        opened.add(piece.index)
        out.append(piece)
    return tuple(out)
