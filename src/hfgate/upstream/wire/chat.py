"""Chat completion over OpenAI's ``/v1/chat/completions``, as TGI and the hosted router serve it.

A reasoning model's thinking comes apart from its answer: ``message.reasoning_content`` and
``delta.reasoning_content`` (vLLM with ``--reasoning-parser`` before 0.11, the router's providers), or
``reasoning`` (vLLM's newer name: ``vllm/entrypoints/openai/engine/protocol.py`` ``DeltaMessage.reasoning``,
``chat_completion/protocol.py`` ``ChatMessage.reasoning``; vLLM's ``docs/features/reasoning_outputs.md``
says ``reasoning`` "used to be called ``reasoning_content``"); both are read. Reasoning tokens are
``usage.completion_tokens_details.reasoning_tokens`` (OpenAI's Chat Completions reference).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hfgate.chat.messages import ChatMessage
from hfgate.tasks import GenerationDelta, GenerationParams, Usage
from hfgate.upstream.wire.chat_tools import parse_tool_call_deltas, parse_tool_calls, wire_message
from hfgate.upstream.wire.common import UpstreamText, WireFormatError, as_dict, finish_reason, sub_dict

CHAT_SUFFIX = "/v1/chat/completions"
# Task settings passed through as they are.
CHAT_OPTIONS = (
    "frequency_penalty",
    "presence_penalty",
    "logprobs",
    "top_logprobs",
    "response_format",
    "tools",
    "tool_choice",
    "max_tokens",
    "temperature",
    "top_p",
    "seed",
    "stop",
)


def chat_url(url: str) -> str:
    """huggingface_hub's rule: keep a url ending in ``/v1/chat/completions``, add ``/chat/completions``
    after ``/v1``, else add ``/v1/chat/completions``.

    Example:
        >>> chat_url("http://tgi:8080/v1")
        'http://tgi:8080/v1/chat/completions'
    """
    url = url.rstrip("/")
    if url.endswith(CHAT_SUFFIX):
        return url
    if url.endswith("/v1"):
        return url + "/chat/completions"
    return url + CHAT_SUFFIX


def chat_payload(
    *,
    model: str,
    messages: tuple[ChatMessage, ...],
    params: GenerationParams,
    settings: Mapping[str, Any],
    stream: bool = False,
    tools: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The body: stored task settings, then the request's parameters, then the messages; ``tools``
    (``chat_tools.tool_options``) when the request has them."""
    body = sampling_options(settings, params)
    body |= {"model": model, "messages": [_message(m) for m in messages]}
    if tools:
        body |= tools
    if params.grammar is not None and params.grammar.kind == "json":  # guided generation, OpenAI's way
        schema = json.loads(params.grammar.value)
        body["response_format"] = {"type": "json_schema", "json_schema": {"name": "output", "schema": schema}}
    body["stream"] = stream
    if stream:
        body["stream_options"] = {"include_usage": True}
    return body


def parse_chat(body: Any) -> UpstreamText:
    """A ``chat.completion`` object: the first choice's content, its finish reason and the usage.

    Raises:
        WireFormatError: no choice with a message.
    """
    choice = _first_choice(as_dict(body, "the chat completion"))
    message = as_dict(choice.get("message"), "the choice's message")
    content = message.get("content")
    calls = parse_tool_calls(message) if message.get("tool_calls") else ()
    if not isinstance(content, str) and not (content is None and calls):
        raise WireFormatError("the choice's message has no [content] string")
    reason = finish_reason(choice.get("finish_reason"))
    if calls and reason == "eos_token":
        reason = "tool_calls"  # TGI and llama.cpp may say "stop" (OpenAI and vLLM say "tool_calls")
    return UpstreamText(
        text=content or "",
        finish_reason=reason,
        usage=usage_of(body),
        tool_calls=calls,
        reasoning=reasoning_of(message),
    )


def reasoning_of(message: dict[str, Any]) -> str:
    """A message's or delta's reasoning text, under either of its names (empty when there is none)."""
    value = message.get("reasoning_content") or message.get("reasoning")
    return value if isinstance(value, str) else ""


def parse_chat_chunk(body: Any) -> GenerationDelta:
    """A ``chat.completion.chunk``: the delta's content, and the finish reason and usage when given."""
    chunk = as_dict(body, "a chat completion chunk")
    choices = chunk.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
    delta = sub_dict(choice, "delta")
    content = delta.get("content")
    reason = choice.get("finish_reason")
    return GenerationDelta(
        text=content if isinstance(content, str) else "",
        finish_reason=finish_reason(reason) if reason else None,
        usage=usage_of(chunk),
        tool_calls=parse_tool_call_deltas(delta) if delta.get("tool_calls") else (),
        reasoning=reasoning_of(delta),
    )


def _message(m: ChatMessage) -> dict[str, Any]:
    if m.parts or m.tool_calls or m.tool_call_id is not None or m.name is not None:
        return wire_message(m)
    return {"role": m.role, "content": m.content}


def _first_choice(body: dict[str, Any]) -> dict[str, Any]:
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        raise WireFormatError("the chat completion has no [choices]")
    return as_dict(choices[0], "a choice")


def usage_of(body: dict[str, Any]) -> Usage | None:
    """OpenAI's ``usage`` object of an answer or chunk, when it has both counts."""
    value = body.get("usage")
    if not isinstance(value, dict):
        return None
    prompt, completion = value.get("prompt_tokens"), value.get("completion_tokens")
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    details = value.get("completion_tokens_details")
    reasoning = details.get("reasoning_tokens") if isinstance(details, dict) else None
    prompt_details = value.get("prompt_tokens_details")
    cached = prompt_details.get("cached_tokens") if isinstance(prompt_details, dict) else None
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        reasoning_tokens=reasoning if isinstance(reasoning, int) else None,
        cached_tokens=cached if isinstance(cached, int) and not isinstance(cached, bool) and cached > 0 else 0,
    )


def sampling_options(
    settings: Mapping[str, Any], params: GenerationParams, *, leave_out: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """OpenAI's sampling fields: the stored task settings (less ``leave_out``), then the fields of the
    request that hfgate passes through untranslated (``params.passthrough``), then the request's own."""
    body: dict[str, Any] = {k: v for k, v in settings.items() if k in CHAT_OPTIONS and k not in leave_out}
    if "max_new_tokens" in settings:
        body.setdefault("max_tokens", settings["max_new_tokens"])
    body.update(params.passthrough)
    chosen = {
        "max_tokens": params.max_new_tokens,
        "temperature": params.temperature,
        "top_p": params.top_p,
        "seed": params.seed,
        "stop": list(params.stop) or None,
        "reasoning_effort": params.reasoning_effort,
    }
    body.update({k: v for k, v in chosen.items() if v is not None})
    return body
