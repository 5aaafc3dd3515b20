"""``POST /v1/messages`` and ``POST /v1/messages/count_tokens``: Anthropic's Messages API over any chat
endpoint (what Claude Code and the ``anthropic`` SDK call).

``model`` is an hfgate chat endpoint's id, as on the OpenAI face. A request is read into the same chat
request the OpenAI face sends (``requests``, ``content``), answered by the endpoint like any chat (keys,
limits, usage and metrics apply as everywhere), and shaped back (``shapes``, ``stream``). The gateway key
comes in ``x-api-key`` (as the SDK sends it) or ``Authorization: Bearer``; ``anthropic-version`` and
``anthropic-beta`` are accepted and change nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from hfgate.access.roles import Role
from hfgate.api.anthropic import schema, shapes
from hfgate.api.anthropic.errors import FACE as ANTHROPIC
from hfgate.api.anthropic.errors import error_body
from hfgate.api.anthropic.requests import MessagesCall, read_call
from hfgate.api.anthropic.stream import MessageEvents
from hfgate.api.body import decode, json_object, json_response, read_body
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep
from hfgate.api.sse import chained, event_stream
from hfgate.chat.messages import ChatMessage
from hfgate.errors import HfGateError
from hfgate.orchestrator import Orchestrator
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import ChatRequest, GenerationDelta, TaskType, Usage
from hfgate.telemetry.request_scope import from_metadata, name_session

ROUTES = FaceRoutes(ANTHROPIC, tag="Anthropic-compatible", error=schema.AnthropicError)


@ROUTES.post("/v1/messages", role=Role.INFER, body=schema.MessagesRequest, answer=schema.MessageObject, or_stream=True)
async def create_message(request: Request, orch: OrchestratorDep) -> Response:
    """A model's message: text, thinking and tool calls, streamed or whole."""
    body = await json_object(request)
    name_session(from_metadata(body.get("metadata")))  # before decoding: a refused request names it too
    call = read_call(decode(body, schema.MessagesRequest))
    endpoint = await orch.endpoint_for(call.model, TaskType.CHAT_COMPLETION)
    chat = _chat(orch, endpoint, call)
    if call.stream:
        return await _stream(orch.chat_stream(endpoint, chat), call=call)
    result = await orch.chat(endpoint, chat)
    return json_response(shapes.whole(result, model=call.model, stops=call.params.stop))


@ROUTES.post("/v1/messages/count_tokens", role=Role.INFER, body=schema.CountTokensRequest, answer=schema.TokenCount)
async def count_tokens(request: Request, orch: OrchestratorDep) -> Response:
    """``{"input_tokens": n}``: on a local model, the prompt the message would take (the chat template
    over the conversation and tools: the ``input_tokens`` its answer reports); elsewhere the conversation's
    and the tools' tokens by the model's tokenizer, or one token per four characters where hfgate cannot
    load it (the template's own tokens then not counted)."""
    call = read_call(await read_body(request, schema.CountTokensRequest))
    endpoint = await orch.endpoint_for(call.model, TaskType.CHAT_COMPLETION)
    counted = await orch.count_chat_tokens(endpoint, _chat(orch, endpoint, call), texts=_texts(call))
    return json_response({"input_tokens": counted})


def _chat(orch: Orchestrator, endpoint: Endpoint, call: MessagesCall) -> ChatRequest:
    return ChatRequest(
        messages=call.messages,
        params=orch.generation_params(endpoint, call.params),
        tools=call.tools,
        tool_choice=call.tool_choice,
        parallel_tool_calls=call.parallel_tool_calls,
    )


def _texts(call: MessagesCall) -> list[str]:
    texts = [_text(m) for m in call.messages]
    texts += [orjson.dumps({"name": t.name, "description": t.description, "parameters": t.parameters}).decode()
              for t in call.tools]  # fmt: skip
    return [t for t in texts if t]


def _text(message: ChatMessage) -> str:
    calls = "".join(f"{c.name}{c.arguments}" for c in message.tool_calls)
    return message.content + calls


async def _stream(deltas: AsyncIterator[GenerationDelta], *, call: MessagesCall) -> StreamingResponse:
    events = MessageEvents(model=call.model, stops=call.params.stop)
    first = await anext(deltas, None)  # a refusal to start keeps its own HTTP status

    async def produce() -> AsyncIterator[bytes]:
        out = events.start()
        finished = False
        async for delta in chained(first, deltas):
            out += events.delta(delta)
            if delta.finish_reason is not None and not finished:
                out += events.finish(delta.finish_reason, delta.usage or Usage(), stop_sequence=delta.stop_sequence)
                finished = True
            yield out
            out = b""
        if not finished:  # a stream that ended without saying why ended normally
            yield out + events.finish("eos_token", Usage(), stop_sequence=None)

    def on_error(exc: HfGateError) -> bytes:
        return events.error(error_body(exc))

    return await event_stream(produce(), on_error=on_error)
