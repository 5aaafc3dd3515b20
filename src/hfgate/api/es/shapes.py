"""Task results in Elasticsearch's response shapes."""

from __future__ import annotations

from typing import Any

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
