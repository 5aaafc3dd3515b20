"""Elasticsearch's answers: task results in its response shapes, and its ``filter_path`` query parameter
over every answer of the face (keep, or with ``-`` drop, parts of a JSON answer).

Elasticsearch's rules, which its clients rely on (``filter_path=endpoints.inference_id``):
a comma-separated list of dotted paths; ``*`` inside a name matches any characters, ``**`` matches any
number of levels; arrays are transparent (a path applies to each element); a path starting with ``-``
excludes. Exclusions are applied first, then the inclusions filter what is left; when no inclusion
matches, the answer is ``{}``.

Applied by :class:`FilteringSend` (in :class:`hfgate.api.gateway.Gateway`) on the Elasticsearch face,
to JSON answers only (server-sent events stream through untouched), so that every route of the face
honours it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.types import Message, Scope, Send

from hfgate.api.hits import rerank_hits
from hfgate.chat.tools import ToolCallDelta
from hfgate.orchestrator.chunked import ChunkedEmbeddings
from hfgate.tasks import EmbeddingResult, Generation, GenerationDelta, RerankResult, SparseEmbeddingResult


def text_embedding(result: EmbeddingResult) -> dict[str, Any]:
    return {"text_embedding": [{"embedding": vector} for vector in result.embeddings]}


def chunked_text_embedding(result: ChunkedEmbeddings) -> dict[str, Any]:
    """Our extension: per input, its chunks with offsets, text and vector."""
    return {
        "text_embedding": [
            {
                "chunks": [
                    {"start_offset": c.start, "end_offset": c.end, "text": c.text, "embedding": c.embedding}
                    for c in chunks
                ]
            }
            for chunks in result.inputs
        ]
    }


def chunks(texts: list[str], offsets: list[list[tuple[int, int]]]) -> dict[str, Any]:
    """``_chunk``: per input, its chunks' offsets and text."""
    return {
        "chunks": [
            [{"start_offset": a, "end_offset": b, "text": text[a:b]} for a, b in spans]
            for text, spans in zip(texts, offsets, strict=True)
        ]
    }


def sparse_embedding(result: SparseEmbeddingResult) -> dict[str, Any]:
    return {
        "sparse_embedding": [
            {"is_truncated": item.is_truncated, "embedding": item.weights} for item in result.embeddings
        ]
    }


def completion(results: list[Generation]) -> dict[str, Any]:
    return {"completion": [{"result": result.text} for result in results]}


def completion_delta(delta: GenerationDelta) -> dict[str, Any]:
    return {"completion": [{"delta": delta.text}]}


def rerank(result: RerankResult) -> dict[str, Any]:
    return {"rerank": rerank_hits(result, score_key="relevance_score")}


def chat_chunk(delta: GenerationDelta, *, chunk_id: str, model: str, first: bool) -> dict[str, Any]:
    """One ``chat.completion.chunk`` in Elasticsearch's ``chat_completion`` stream."""
    choice_delta: dict[str, Any] = {"content": delta.text} if delta.text or not delta.tool_calls else {}
    if first:
        choice_delta["role"] = "assistant"
    if delta.tool_calls:
        choice_delta["tool_calls"] = [_call_piece(p) for p in delta.tool_calls]
    choice: dict[str, Any] = {"delta": choice_delta, "index": 0}
    if delta.finish_reason is not None:
        reason = delta.finish_reason
        choice["finish_reason"] = reason if reason in ("length", "tool_calls") else "stop"
    chunk: dict[str, Any] = {
        "id": chunk_id,
        "choices": [choice],
        "model": model,
        "object": "chat.completion.chunk",
    }
    if delta.usage is not None:
        chunk["usage"] = {
            "completion_tokens": delta.usage.completion_tokens,
            "prompt_tokens": delta.usage.prompt_tokens,
            "total_tokens": delta.usage.total_tokens,
        }
    return {"chat_completion": chunk}


def _call_piece(piece: ToolCallDelta) -> dict[str, Any]:
    """A streamed tool-call piece as Elasticsearch's unified schema writes it (``ChatCompletionChunk``'s
    ``Delta.ToolCall``: ``index``, then ``id``, ``function.{arguments,name}`` and ``type`` when set)."""
    function: dict[str, Any] = {"arguments": piece.arguments}
    if piece.name is not None:
        function["name"] = piece.name
    out: dict[str, Any] = {"index": piece.index}
    if piece.id is not None:
        out["id"] = piece.id
    out["function"] = function
    if piece.id is not None or piece.name is not None:
        out["type"] = "function"
    return out


Path = tuple[str, ...]
_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Filters:
    """A parsed ``filter_path``: the paths to keep and the paths to drop."""

    include: tuple[Path, ...]
    exclude: tuple[Path, ...]

    @classmethod
    def parse(cls, expression: str) -> Filters:
        paths = [p.strip() for p in expression.split(",") if p.strip()]
        include = tuple(_split(p) for p in paths if not p.startswith("-"))
        exclude = tuple(_split(p[1:]) for p in paths if p.startswith("-") and p[1:])
        return cls(include=include, exclude=exclude)

    def apply(self, body: Any) -> Any:
        """``body`` with the exclusions dropped, then only what the inclusions name kept."""
        if self.exclude:
            body = _drop(body, self.exclude)
        if not self.include:
            return body
        kept = _keep(body, self.include)
        return {} if kept is _MISSING else kept


def _split(path: str) -> Path:
    return tuple(part for part in path.split(".") if part)


@cache
def _pattern(segment: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(piece) for piece in segment.split("*")))


def _advance(paths: tuple[Path, ...], key: str) -> tuple[Path, ...]:
    """What is left of each path after descending into ``key``."""
    left: list[Path] = []
    for path in paths:
        if not path:
            continue
        if path[0] == "**":
            left.append(path)  # ``**`` consumes this level and may consume more
            left.extend(_advance((path[1:],), key))  # or none
        elif _pattern(path[0]).fullmatch(key):
            left.append(path[1:])
    return tuple(left)


def _complete(paths: tuple[Path, ...]) -> bool:
    return any(all(part == "**" for part in path) for path in paths)


def _keep(value: Any, paths: tuple[Path, ...]) -> Any:
    if _complete(paths):
        return value
    if isinstance(value, list):
        kept = [item for item in (_keep(v, paths) for v in value) if item is not _MISSING]
        return kept or _MISSING
    if not isinstance(value, dict):
        return _MISSING
    out = {}
    for key, item in value.items():
        deeper = _advance(paths, key)
        if deeper and (kept := _keep(item, deeper)) is not _MISSING:
            out[key] = kept
    return out or _MISSING


def _drop(value: Any, paths: tuple[Path, ...]) -> Any:
    if isinstance(value, list):
        return [_drop(item, paths) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        deeper = _advance(paths, key)
        if not _complete(deeper):
            out[key] = _drop(item, deeper) if deeper else item
    return out


def filters_of(scope: Scope) -> Filters | None:
    """The request's ``filter_path``, if it has one (the gateway asks on the Elasticsearch face only)."""
    query = scope.get("query_string", b"")
    if b"filter_path" not in query:
        return None
    values = parse_qs(query.decode("latin-1")).get("filter_path")
    return Filters.parse(",".join(values)) if values else None


class FilteringSend:
    """Holds back a JSON answer until its last body part, then sends it filtered (other answers pass
    through); :class:`hfgate.api.gateway.Gateway` wraps a request's ``send`` in it when
    :func:`filters_of` finds a ``filter_path``."""

    def __init__(self, send: Send, filters: Filters) -> None:
        self._send = send
        self._filters = filters
        self._start: Message | None = None
        self._parts: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start" and _is_json(message):
            self._start = message
            return
        if self._start is None or message["type"] != "http.response.body":
            await self._send(message)
            return
        self._parts.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = self._filtered(b"".join(self._parts))
        headers = [(k, v) for k, v in self._start["headers"] if k.lower() != b"content-length"]
        await self._send({**self._start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await self._send({"type": "http.response.body", "body": body})

    def _filtered(self, raw: bytes) -> bytes:
        try:
            return orjson.dumps(self._filters.apply(orjson.loads(raw)))
        except orjson.JSONDecodeError:
            return raw


def _is_json(start: Message) -> bool:
    content_type = dict(start.get("headers", [])).get(b"content-type", b"")
    return b"json" in content_type
