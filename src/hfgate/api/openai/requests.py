"""OpenAI request bodies turned into task requests, refusing what hfgate cannot honour."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hfgate.api.body import json_type, number, prompt_texts, typed
from hfgate.api.grammar import response_format_grammar
from hfgate.api.messages import parse_messages
from hfgate.chat.messages import ChatMessage
from hfgate.errors import BadRequestError, ParseError
from hfgate.tasks import GenerationParams

_TRANSLATED = (
    "model", "max_tokens", "temperature", "top_p", "stop", "seed", "stream", "stream_options", "n", "best_of",
    "logprobs", "top_logprobs", "echo", "suffix", "prompt", "messages", "max_completion_tokens", "tools",
    "tool_choice", "parallel_tool_calls", "response_format", "tool_prompt", "reasoning_effort",
)  # fmt: skip
"""Fields hfgate reads and writes again in its own words (or refuses): every other field of a completion or
chat body is passed through (``GenerationParams.passthrough``). ``tool_prompt`` is TGI's extension, taken on
both chat routes: huggingface_hub sends it to either."""
_NUMBERS = ("repetition_penalty", "min_p", "presence_penalty", "frequency_penalty")
"""Passed-through fields whose type hfgate checks, as the local sampler reads them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamOptions:
    stream: bool
    include_usage: bool


def model_of(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ParseError("[model] is required: the id of an hfgate endpoint (GET /v1/models)", param="model")
    return model


def embedding_inputs(body: dict[str, Any]) -> list[str]:
    """``input``: a string or a list of strings (token arrays are not accepted). Other fields (``user``, an
    engine's extensions) are accepted and not used: vectors are cached per text, whoever asks."""
    value = body.get("input")
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise ParseError(
            f"[input] must be a string or a non-empty array of strings, got [{json_type(value)}]; token arrays "
            "are not supported, send text",
            param="input",
        )
    return texts


def encoding_format(body: dict[str, Any]) -> str:
    value = body.get("encoding_format") or "float"
    if value not in ("float", "base64"):
        raise ParseError(f"[encoding_format] must be 'float' or 'base64', got [{value}]", param="encoding_format")
    return str(value)


def generation_params(body: dict[str, Any], *, chat: bool) -> GenerationParams:
    """Sampling and stopping controls from an OpenAI body; the fields hfgate does not translate are kept
    as sent in ``passthrough`` (for an OpenAI-compatible upstream; the local service reads what it can).

    Raises:
        ParseError, RequestValidationError: a field hfgate reads has the wrong type, naming it.
        BadRequestError: ``n``, ``best_of``, ``logprobs``, ``echo`` or ``suffix`` asks for what hfgate's
            answer cannot carry.
    """
    _refuse_unsupported(body)
    max_tokens = typed(body, "max_completion_tokens", kind=int) if chat else None
    max_tokens = max_tokens or typed(body, "max_tokens", kind=int)
    temperature = number(body, "temperature")
    for name in _NUMBERS:
        number(body, name)
    typed(body, "logit_bias", kind=dict)
    return GenerationParams(
        max_new_tokens=max_tokens,
        temperature=temperature,
        top_p=number(body, "top_p"),
        top_k=typed(body, "top_k", kind=int),
        repetition_penalty=number(body, "repetition_penalty"),
        seed=typed(body, "seed", kind=int),
        stop=_stop(body.get("stop")),
        do_sample=None if temperature is None else temperature > 0,
        grammar=response_format_grammar(body.get("response_format")),
        passthrough={k: v for k, v in body.items() if k not in _TRANSLATED},
        reasoning_effort=typed(body, "reasoning_effort", kind=str),
    )


def stream_options(body: dict[str, Any]) -> StreamOptions:
    options = typed(body, "stream_options", kind=dict, default={})
    include_usage = options.get("include_usage", False)
    if not isinstance(include_usage, bool):
        raise ParseError(
            f"[stream_options.include_usage] must be true or false, got [{json_type(include_usage)}]",
            param="stream_options.include_usage",
        )
    return StreamOptions(stream=bool(typed(body, "stream", kind=bool, default=False)), include_usage=include_usage)


def prompts(body: dict[str, Any]) -> list[str]:
    value = body.get("prompt")
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise ParseError(f"[prompt] must be a string or an array of strings, got [{json_type(value)}]", param="prompt")
    return prompt_texts(texts, "prompt")


def chat_messages(body: dict[str, Any]) -> tuple[ChatMessage, ...]:
    return parse_messages(body.get("messages"))


def _refuse_unsupported(body: dict[str, Any]) -> None:
    # null is 1, as OpenAI and TGI read it (text-generation's Client.chat sends "n": null)
    if body.get("n") not in (None, 1) or body.get("best_of") not in (None, 1):
        raise BadRequestError("[n] and [best_of] must be 1: hfgate returns one choice", param="n")
    if body.get("logprobs") or body.get("echo") or body.get("suffix"):
        raise BadRequestError(
            "[logprobs], [echo] and [suffix] are not supported: hfgate's answer carries no log probabilities "
            "and no echoed prompt; leave them out",
            param="logprobs",
        )


def _stop(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ParseError(f"[stop] must be a string or an array of strings, got [{json_type(value)}]", param="stop")
