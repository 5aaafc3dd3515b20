"""OpenAI requests, decoded by :mod:`hfgate.api.openai.schema`, turned into task requests, refusing what
hfgate cannot honour.

``response_format`` (``{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}`` or
``{"type": "json_object"}``, any JSON object; ``{"type": "text"}`` is no constraint) becomes a
:class:`~hfgate.tasks.Grammar`, for chat completions and the Responses API alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from hfgate.api.body import prompt_texts
from hfgate.api.openai import schema
from hfgate.errors import BadRequestError, EmptyInputError, RequestValidationError
from hfgate.tasks import GenerationParams, Grammar

_TRANSLATED = frozenset((
    "model", "max_tokens", "temperature", "top_p", "stop", "seed", "stream", "stream_options", "n", "best_of",
    "logprobs", "top_logprobs", "echo", "suffix", "prompt", "messages", "max_completion_tokens", "tools",
    "tool_choice", "parallel_tool_calls", "response_format", "tool_prompt", "reasoning_effort",
))  # fmt: skip
"""Fields hfgate reads and writes again in its own words (or refuses): every other field of a completion or
chat body is passed through as sent (``GenerationParams.passthrough``). ``tool_prompt`` is TGI's extension,
taken on both chat routes: huggingface_hub sends it to either."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamOptions:
    stream: bool
    include_usage: bool


def generation_params(request: schema.ChatBody | schema.CompletionBody, body: dict[str, Any]) -> GenerationParams:
    """Sampling and stopping controls; the fields of ``body`` (as sent) hfgate does not translate are kept
    in ``passthrough`` (for an OpenAI-compatible upstream; the local service reads what it can).

    Raises:
        BadRequestError: ``logprobs``, ``echo`` or ``suffix`` asks for what hfgate's answer cannot carry
            (``n`` and ``best_of``: :func:`hfgate.api.openai.choices.choice_count`).
        RequestValidationError: ``response_format`` is not one hfgate can follow.
    """
    _refuse_unsupported(request)
    newer = request.max_completion_tokens if isinstance(request, schema.ChatBody) else None
    max_tokens = newer if newer is not None else request.max_tokens
    temperature = request.temperature
    return GenerationParams(
        max_new_tokens=max_tokens,
        temperature=temperature,
        top_p=request.top_p,
        top_k=request.top_k,
        repetition_penalty=request.repetition_penalty,
        seed=request.seed,
        stop=tuple(request.stop or ()),
        do_sample=None if temperature is None else temperature > 0,
        grammar=response_format_grammar(request.response_format),
        passthrough={k: v for k, v in body.items() if k not in _TRANSLATED},
        reasoning_effort=request.reasoning_effort,
        sent_as={"max_new_tokens": "max_tokens" if newer is None else "max_completion_tokens"},
    )


COMPLETION_MAX_TOKENS = 16
"""``/v1/completions``' ``max_tokens`` when neither the request nor the endpoint's stored ``task_settings`` set
one: OpenAI's documented default for this route, and vLLM's (its ``CompletionRequest.max_tokens``)."""


def completion_defaults(params: GenerationParams) -> GenerationParams:
    """``params`` as merged with the endpoint's stored ``task_settings``, with OpenAI's completion default
    for ``max_tokens`` where neither gave one: a face's default is weaker than the endpoint's settings, as a
    service's own defaults are.

    Example:
        >>> completion_defaults(GenerationParams()).max_new_tokens, completion_defaults(
        ...     GenerationParams(max_new_tokens=256)).max_new_tokens
        (16, 256)
    """
    if params.max_new_tokens is not None:
        return params
    return replace(params, max_new_tokens=COMPLETION_MAX_TOKENS)


def stream_options(request: schema.ChatBody | schema.CompletionBody) -> StreamOptions:
    options = request.stream_options
    include_usage = bool(options is not None and options.include_usage)
    return StreamOptions(stream=bool(request.stream), include_usage=include_usage)


def prompts(request: schema.CompletionBody) -> list[str]:
    """``prompt``'s texts, none of them empty.

    Raises:
        EmptyInputError: an empty array, or an empty text.
    """
    if not request.prompt:
        raise EmptyInputError(["Field [prompt] cannot be an empty array; give at least one text"], param="prompt")
    return prompt_texts(request.prompt, "prompt")


def embedding_texts(request: schema.EmbeddingsBody) -> list[str]:
    """``input``'s texts (token arrays are refused by the schema).

    Raises:
        RequestValidationError: no ``input``, or an empty array.
    """
    if not request.input:
        raise RequestValidationError(
            ["Field [input] must be a string or a non-empty array of strings; token arrays are not supported, send "
             "text"],
            param="input",
        )  # fmt: skip
    return request.input


def _refuse_unsupported(request: schema.ChatBody | schema.CompletionBody) -> None:
    if request.logprobs or request.echo or request.suffix:
        raise BadRequestError(
            "[logprobs], [echo] and [suffix] are not supported: hfgate's answer carries no log probabilities "
            "and no echoed prompt; leave them out",
            param="logprobs",
        )


MOST_CHOICES = 128
"""The most choices one request may ask for (OpenAI's limit for ``n``)."""


def choice_count(n: int | None, best_of: int | None) -> int:
    """How many choices the request asks for (``null`` is 1, as OpenAI and TGI read it).

    Raises:
        BadRequestError: ``n`` outside 1..128, or a ``best_of`` other than ``n`` (hfgate ranks no candidates).

    Example:
        >>> choice_count(None, None), choice_count(3, None), choice_count(2, 2)
        (1, 3, 2)
    """
    count = 1 if n is None else n
    if not 1 <= count <= MOST_CHOICES:
        raise BadRequestError(f"[n] must be between 1 and {MOST_CHOICES}, got [{count}]", param="n")
    if best_of not in (None, 1, count):
        raise BadRequestError(
            f"[best_of] [{best_of}] is not supported: hfgate ranks no extra candidates; leave it out, or ask for "
            f"[n] choices",
            param="best_of",
        )
    return count


ANY_OBJECT = '{"type": "object"}'


def response_format_grammar(raw: Any) -> Grammar | None:
    """OpenAI's ``response_format``.

    Raises:
        RequestValidationError: an unknown ``type``, or a ``json_schema`` without a ``schema`` object.
    """
    if raw is None:
        return None
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return Grammar(kind="json", value=ANY_OBJECT, field="response_format")
    if kind == "json_schema":
        spec = raw.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if not isinstance(schema, dict):
            raise RequestValidationError(
                ["[response_format.json_schema.schema] must be a JSON schema object"], param="response_format"
            )
        return Grammar(kind="json", value=json.dumps(schema), field="response_format")
    raise RequestValidationError(
        [f"[response_format.type] must be one of [text, json_object, json_schema], got [{kind}]"],
        param="response_format",
    )
