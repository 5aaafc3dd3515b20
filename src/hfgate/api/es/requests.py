"""Elasticsearch-shaped requests turned into task requests: their bodies, query parameters and time values
(``30s``, ``2m``, ``500ms``, ``-1`` for no limit)."""

from __future__ import annotations

import re
from typing import Any

from hfgate.api import chat_schema
from hfgate.api.body import check_allowed, decode, number, prompt_texts, string_list, typed
from hfgate.errors import BadRequestError, RequestValidationError
from hfgate.orchestrator import Orchestrator
from hfgate.registry.endpoint import Endpoint
from hfgate.services.generation_settings import generation_params
from hfgate.tasks import (
    ChatRequest,
    EmbedRequest,
    GenerateRequest,
    GenerationParams,
    InputType,
    RerankRequest,
    TaskType,
)

INFER_FIELDS = ("input", "query", "input_type", "task_settings", "return_documents", "top_n", "chunked")
CHAT_FIELDS = (
    "messages",
    "model",
    "max_completion_tokens",
    "stop",
    "temperature",
    "top_p",
    "seed",
    "tools",
    "tool_choice",
)


def check_query(body: dict[str, Any], task_type: TaskType) -> str | None:
    """``query``: required for rerank, refused for every other task type."""
    query: str | None = typed(body, "query", kind=str)
    if task_type is TaskType.RERANK and query is None:
        raise RequestValidationError(["Field [query] cannot be null for task type [rerank]"], param="query")
    if task_type is not TaskType.RERANK and query is not None:
        raise RequestValidationError(
            [f"Field [query] cannot be specified for task type [{task_type.value}]"], param="query"
        )
    return query


def embed_request(endpoint: Endpoint, body: dict[str, Any]) -> EmbedRequest:
    check_allowed(body, INFER_FIELDS)
    texts = string_list(body, "input") or []
    check_query(body, endpoint.task_type)
    return EmbedRequest(
        texts=tuple(texts),
        input_type=input_type(body),
        task_settings=endpoint.task_settings,
    )


def generate_requests(endpoint: Endpoint, body: dict[str, Any]) -> list[GenerateRequest]:
    check_allowed(body, ("input", "task_settings", "input_type"))
    prompts = prompt_texts(string_list(body, "input") or [], "input")
    params = generation_params(endpoint.task_settings)
    return [GenerateRequest(prompt=p, params=params) for p in prompts]


def rerank_request(endpoint: Endpoint, body: dict[str, Any]) -> RerankRequest:
    check_allowed(body, INFER_FIELDS)
    documents = string_list(body, "input") or []
    query = check_query(body, endpoint.task_type) or ""
    settings = endpoint.task_settings
    top_n = typed(body, "top_n", kind=int, default=settings.get("top_n"))
    if top_n is not None and top_n < 1:
        raise RequestValidationError([f"Field [top_n] must be a positive integer, got [{top_n}]"], param="top_n")
    return RerankRequest(
        query=query,
        documents=tuple(documents),
        top_n=top_n,
        return_documents=typed(body, "return_documents", kind=bool, default=settings.get("return_documents", True)),
    )


def chat_request(orch: Orchestrator, endpoint: Endpoint, *, body: dict[str, Any]) -> ChatRequest:
    """Elasticsearch's unified chat completion body."""
    check_allowed(body, CHAT_FIELDS)
    turns = decode({k: body[k] for k in ("messages", "tools") if k in body}, chat_schema.Conversation)
    tools = chat_schema.tool_fields(body, tools=turns.tools, choice=body.get("tool_choice"), parallel=None)
    stop = body.get("stop")
    given = GenerationParams(
        max_new_tokens=typed(body, "max_completion_tokens", kind=int),
        temperature=number(body, "temperature"),
        top_p=number(body, "top_p"),
        seed=typed(body, "seed", kind=int),
        stop=tuple(string_list(body, "stop", required=False) or ()) if stop is not None else (),
    )
    return ChatRequest(
        messages=chat_schema.chat_messages(turns.messages),
        params=orch.generation_params(endpoint, given),
        tools=tools.tools,
        tool_choice=tools.tool_choice,
        parallel_tool_calls=tools.parallel_tool_calls,
    )


def input_type(body: dict[str, Any]) -> InputType | None:
    raw = typed(body, "input_type", kind=str)
    if raw is None:
        return None
    try:
        return InputType(raw.lower())
    except ValueError:
        allowed = ", ".join(t.value for t in InputType)
        raise RequestValidationError(
            [f"Unrecognized input_type [{raw}], must be one of [{allowed}]"], param="input_type"
        ) from None


_UNITS = {"nanos": 1e-9, "micros": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_VALUE = re.compile(r"(\d+(?:\.\d+)?)(nanos|micros|ms|s|m|h|d)")
NO_LIMIT = 365 * 86400.0


def parse_duration(value: str | None, *, name: str = "timeout") -> float | None:
    """Seconds for an Elasticsearch time value; ``None`` when absent.

    Raises:
        BadRequestError: Elasticsearch's message for a value without a known unit.
    """
    if value is None:
        return None
    text = value.strip().lower()
    if text in ("-1", "0"):
        return NO_LIMIT
    match = _VALUE.fullmatch(text)
    if match is None:
        raise BadRequestError(
            f"failed to parse setting [{name}] with value [{value}] as a time value: unit is missing or "
            "unrecognized; use e.g. 30s, 500ms, 2m",
            param=name,
        )
    return float(match.group(1)) * _UNITS[match.group(2)]
