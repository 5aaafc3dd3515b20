"""TEI and TGI response bodies built from task results."""

from __future__ import annotations

from typing import Any

from hfgate import __version__
from hfgate.api.hits import rerank_hits
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import EndpointDescription
from hfgate.tasks import Generation, GenerationDelta, RerankResult, SparseWeights, TokenSpan

# What /info announces, and what /generate enforces (api.hf.requests): one sequence per request.
MAX_BEST_OF = 1
MAX_STOP_SEQUENCES = 4


def tei_info(endpoint: Endpoint, described: EndpointDescription) -> dict[str, Any]:
    """TEI's ``GET /info`` for an embedding or rerank endpoint, with TGI's ``model_device_type`` where the
    device is known (a local model: ``cpu``, ``cuda:0``)."""
    kind: dict[str, Any] = {"embedding": {"pooling": "mean"}}
    if endpoint.task_type.value == "rerank":
        kind = {"reranker": {"id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0}}}
    return {
        "model_id": described.model,
        "model_sha": None,
        "model_dtype": "float32",
        "model_type": kind,
        "max_concurrent_requests": 512,
        "max_input_length": described.max_input_tokens or 512,
        "max_batch_tokens": 16384,
        "max_batch_requests": None,
        "max_client_batch_size": 32,
        "auto_truncate": True,
        "tokenization_workers": 1,
        "version": f"hfgate-{__version__}",
    } | ({"model_device_type": described.device} if described.device else {})


def tgi_info(described: EndpointDescription) -> dict[str, Any]:
    """TGI's ``GET /info`` for a generation endpoint."""
    return {
        "model_id": described.model,
        "model_sha": None,
        "model_dtype": "float32",
        "model_device_type": described.device or "cpu",
        "model_pipeline_tag": described.generation_task,
        "max_concurrent_requests": 128,
        "max_best_of": MAX_BEST_OF,
        "max_stop_sequences": MAX_STOP_SEQUENCES,
        "max_input_tokens": 8000,
        "max_total_tokens": 8192,
        "validation_workers": 1,
        "max_client_batch_size": 1,
        "router": "hfgate",
        "version": f"hfgate-{__version__}",
    }


def token(delta: GenerationDelta) -> dict[str, Any]:
    """A generated token as TGI lists it; a met stop string stays in its text, as in TGI's."""
    text = delta.text + (delta.stop_sequence or "")
    return {"id": delta.token_id or 0, "text": text, "logprob": delta.logprob, "special": False}


def top_tokens(delta: GenerationDelta) -> list[dict[str, Any]]:
    return [{"id": t.id, "text": t.text, "logprob": t.logprob, "special": t.special} for t in delta.top_tokens]


def details(generation: Generation, *, seed: int | None, deltas: list[GenerationDelta], top_n: bool) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "finish_reason": generation.finish_reason,
        "generated_tokens": generation.usage.completion_tokens,
        "seed": seed,
        "prefill": [{"id": t.id, "text": t.text, "logprob": t.logprob} for t in deltas[0].prefill] if deltas else [],
        "tokens": [token(d) for d in deltas],
    }
    if top_n:
        answer["top_tokens"] = [top_tokens(d) for d in deltas]
    return answer


def stream_event(
    index: int, delta: GenerationDelta, *, text: str | None, detail: dict[str, Any] | None
) -> dict[str, Any]:
    """One TGI ``/generate_stream`` event; the last carries ``generated_text`` (and ``details``)."""
    event = {"index": index, "token": token(delta), "generated_text": text, "details": detail}
    if delta.top_tokens:
        event["top_tokens"] = top_tokens(delta)
    return event


def sparse_values(result: SparseWeights) -> list[list[dict[str, Any]]]:
    """TEI's ``/embed_sparse``: per text, its non-zero weights by vocabulary id, ids ascending."""
    return [[{"index": i, "value": row[i]} for i in sorted(row)] for row in result.weights]


def rerank(result: RerankResult) -> list[dict[str, Any]]:
    return rerank_hits(result, score_key="score")


def tokens(spans: list[list[TokenSpan]]) -> list[list[dict[str, Any]]]:
    return [
        [{"id": t.id, "text": t.text, "special": t.special, "start": t.start, "stop": t.stop} for t in row]
        for row in spans
    ]
