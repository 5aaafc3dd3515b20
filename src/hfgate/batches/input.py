"""A batch input file read and checked before the batch starts, as OpenAI checks it.

Each line is ``{"custom_id", "method": "POST", "url", "body"}``: JSON, ``url`` the batch's ``endpoint``, a
``custom_id`` no other line has, ``body`` an object. A line that breaks a rule is an error naming its line
number (from 1) in the batch's ``errors``; a file with any such error fails the batch whole, before one request
is sent. Blank lines are skipped (their numbers still count).

Example:
    >>> read_lines([b'{"custom_id": "a", "method": "POST", "url": "/v1/embeddings", "body": {}}'],
    ...            endpoint="/v1/embeddings", max_lines=10).requests[0].custom_id
    'a'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from hfgate.batches.shapes import line_error

OPENAI_ENDPOINTS = (
    "/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses", "/v1/moderations",
    "/v1/rerank", "/v1/classify", "/v1/score",
)  # fmt: skip
"""The routes an OpenAI batch may name as its ``endpoint``: OpenAI's own, Cohere's and Jina's rerank, and vLLM's
``/classify`` and ``/score`` (the Hub's classification and similarity tasks)."""

ENDPOINTS = (*OPENAI_ENDPOINTS, "/v1/messages")
"""The routes a batch may run: each line is sent to it as a request of its own (``/v1/messages``: the lines
of an Anthropic message batch, :mod:`hfgate.api.anthropic.batches`). A Gemini batch runs one model's action
instead (:func:`gemini_endpoint`), a route per model."""

GEMINI_ACTIONS = ("generateContent", "embedContent")
"""The Gemini model actions a batch may run (:mod:`hfgate.api.gemini.batches`)."""

GEMINI_PREFIX = "/v1beta/models/"
"""What every Gemini batch's endpoint starts with."""


def gemini_endpoint(model: str, action: str) -> str:
    """The route each line of a Gemini batch of ``model`` is sent to: ``/v1beta/models/{model}:{action}``.

    Example:
        >>> gemini_endpoint("smol", "generateContent")
        '/v1beta/models/smol:generateContent'
    """
    if action not in GEMINI_ACTIONS:
        raise ValueError(f"a Gemini batch runs one of {GEMINI_ACTIONS}, not {action}")
    return f"{GEMINI_PREFIX}{model}:{action}"


MOST_CUSTOM_ID = 1024
"""The longest ``custom_id`` a line may have (the registry's column)."""

_MOST_ERRORS = 100
"""Errors reported of one file: enough to fix it, bounded however broken the file."""


@dataclass(frozen=True, slots=True)
class InputLine:
    line: int
    custom_id: str
    body: str


@dataclass(slots=True)
class ReadInput:
    """The requests of an input file, or why it cannot run (``errors`` non-empty)."""

    requests: list[InputLine] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def read_lines(lines: Iterable[bytes], *, endpoint: str, max_lines: int) -> ReadInput:
    """Each request of the file's ``lines``, checked against the batch's ``endpoint``."""
    read = ReadInput()
    seen: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        problem = _problem(number, raw, endpoint=endpoint, seen=seen, read=read)
        if problem is not None and len(read.errors) < _MOST_ERRORS:
            read.errors.append(problem)
    if not read.requests and not read.errors:
        read.errors.append(line_error(None, "empty_file", "The batch input file is empty."))
    if len(read.requests) > max_lines:
        read.errors.append(line_error(None, "too_many_requests", f"The batch input file has {len(read.requests)} "
                                      f"requests; at most {max_lines} (HFGATE_BATCH_INPUT_MAX_LINES)."))  # fmt: skip
    return read


def _problem(number: int, raw: bytes, *, endpoint: str, seen: set[str], read: ReadInput) -> dict[str, Any] | None:
    try:
        request = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return line_error(number, "invalid_json_line", "This line is not parseable as valid JSON.")
    if not isinstance(request, dict):
        return line_error(number, "invalid_json_line", "This line is not a JSON object.")
    for name in ("custom_id", "method", "url", "body"):
        if name not in request:
            return line_error(number, "missing_required_parameter",
                              f"This line is missing the required parameter [{name}].", name)  # fmt: skip
    custom_id, body = request["custom_id"], request["body"]
    if not isinstance(custom_id, str) or not 0 < len(custom_id) <= MOST_CUSTOM_ID:
        wanted = f"[custom_id] must be a string of 1 to {MOST_CUSTOM_ID} characters."
        return line_error(number, "invalid_custom_id", wanted, "custom_id")
    if request["method"] != "POST":
        return line_error(number, "invalid_method", "The method must be POST.", "method")
    if request["url"] != endpoint:
        return line_error(number, "mismatched_endpoint", f"The url [{request['url']}] of this line differs from "
                          f"the batch's endpoint [{endpoint}].", "url")  # fmt: skip
    if not isinstance(body, dict):
        return line_error(number, "invalid_body", "[body] must be a JSON object.", "body")
    if custom_id in seen:
        return line_error(number, "duplicate_custom_id", f"The custom_id [{custom_id}] is a duplicate of another "
                          "request's; each request of a batch needs its own.", "custom_id")  # fmt: skip
    seen.add(custom_id)
    read.requests.append(InputLine(number, custom_id, orjson.dumps(body).decode()))
    return None
