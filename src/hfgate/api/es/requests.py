"""Elasticsearch-shaped requests turned into task requests: their bodies (decoded by the task type's model,
:mod:`hfgate.api.es.schema`), query parameters and time values (``30s``, ``2m``, ``500ms``, ``-1`` for no
limit)."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel

from hfgate.api import chat_schema
from hfgate.api.body import check_allowed, decode, prompt_texts
from hfgate.api.es.schema import EsChatBody, EsCompletionBody, EsEmbedBody
from hfgate.errors import BadRequestError, EmptyInputError, RequestValidationError
from hfgate.orchestrator import Orchestrator
from hfgate.registry.endpoint import Endpoint
from hfgate.services.spec import generation_params
from hfgate.tasks import (
    ChatRequest,
    EmbedRequest,
    GenerateRequest,
    GenerationParams,
    InputType,
    RerankRequest,
    TaskType,
)

EsBody = TypeVar("EsBody", bound=BaseModel)
Item = TypeVar("Item")


def es_body(body: dict[str, Any], kind: type[EsBody]) -> EsBody:
    """``body`` decoded into ``kind``, a field ``kind`` does not have refused first, as Elasticsearch
    refuses it.

    Raises:
        ParseError: a field the task type does not take (the message lists those it takes).
        RequestValidationError: a field of the wrong JSON type, named.
    """
    try:
        return decode(body, kind)
    except RequestValidationError:
        check_allowed(body, tuple(kind.model_fields))  # an unknown field first, as Elasticsearch's parser says
        raise


def required_input(given: list[Item] | None) -> list[Item]:
    """The items of ``input`` (texts, or an ``embedding`` request's contents), which must be there and not empty.

    Raises:
        RequestValidationError: ``input`` missing or null.
        EmptyInputError: an empty array.
    """
    if given is None:
        raise RequestValidationError(["Field [input] cannot be null"], param="input")
    if not given:
        raise EmptyInputError(["Field [input] cannot be an empty array"], param="input")
    return given


def check_query(query: str | None, task_type: TaskType) -> str | None:
    """``query``: required for rerank, refused for every other task type."""
    if task_type is TaskType.RERANK and query is None:
        raise RequestValidationError(["Field [query] cannot be null for task type [rerank]"], param="query")
    if task_type is not TaskType.RERANK and query is not None:
        raise RequestValidationError(
            [f"Field [query] cannot be specified for task type [{task_type.value}]"], param="query"
        )
    return query


def embed_request(endpoint: Endpoint, body: EsEmbedBody) -> EmbedRequest:
    texts = required_input(body.input)
    check_query(body.query, endpoint.task_type)
    return EmbedRequest(
        texts=tuple(texts),
        input_type=input_type(body.input_type),
        task_settings=endpoint.task_settings,
    )


def generate_requests(endpoint: Endpoint, body: EsCompletionBody) -> list[GenerateRequest]:
    prompts = prompt_texts(required_input(body.input), "input")
    params = generation_params(endpoint.task_settings)
    return [GenerateRequest(prompt=p, params=params) for p in prompts]


def rerank_request(endpoint: Endpoint, body: EsEmbedBody) -> RerankRequest:
    documents = required_input(body.input)
    query = check_query(body.query, endpoint.task_type) or ""
    settings = endpoint.task_settings
    top_n = body.top_n if body.top_n is not None else settings.get("top_n")
    if top_n is not None and top_n < 1:
        raise RequestValidationError([f"Field [top_n] must be a positive integer, got [{top_n}]"], param="top_n")
    given = body.return_documents
    return RerankRequest(
        query=query,
        documents=tuple(documents),
        top_n=top_n,
        return_documents=given if given is not None else settings.get("return_documents", True),
    )


def chat_request(orch: Orchestrator, endpoint: Endpoint, *, body: dict[str, Any]) -> ChatRequest:
    """Elasticsearch's unified chat completion body."""
    chat = es_body(body, EsChatBody)
    tools = chat_schema.tool_fields(body, tools=chat.tools, choice=chat.tool_choice, parallel=None)
    given = GenerationParams(
        max_new_tokens=chat.max_completion_tokens,
        temperature=chat.temperature,
        top_p=chat.top_p,
        seed=chat.seed,
        stop=tuple(chat.stop or ()),
        sent_as={"max_new_tokens": "max_completion_tokens"},
    )
    return ChatRequest(
        messages=chat_schema.chat_messages(chat.messages),
        params=orch.generation_params(endpoint, given),
        tools=tools.tools,
        tool_choice=tools.tool_choice,
        parallel_tool_calls=tools.parallel_tool_calls,
    )


def input_type(raw: str | None) -> InputType | None:
    """``input_type`` as hfgate's.

    Raises:
        RequestValidationError: Elasticsearch's message for a value it does not know.
    """
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
