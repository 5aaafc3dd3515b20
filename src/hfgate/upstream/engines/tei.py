"""text-embeddings-inference (``engine: tei``): ``/embed``, ``/embed_sparse`` and ``/rerank``
(TEI ``router/src/http/server.rs``, ``types.rs``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hfgate.errors import BadRequestError
from hfgate.pipelines import Pipeline, PipelineRequest
from hfgate.pipelines.text_classification import TextClassification
from hfgate.tasks import TaskType
from hfgate.upstream.engines.base import (
    Address,
    EmbedProtocol,
    Kind,
    PipelineProtocol,
    Protocol,
    SparseProtocol,
    SparseVectors,
    Vectors,
)
from hfgate.upstream.engines.tgi_protocols import TeiRerank
from hfgate.upstream.wire.embeddings import embeddings_payload, parse_embeddings
from hfgate.upstream.wire.sparse import parse_sparse, sparse_payload


class TeiEmbed(EmbedProtocol):
    def url(self, at: Address) -> str:
        return at.at("/embed")

    def payload(self, at: Address, texts: Sequence[str], *, normalize: bool = True) -> dict[str, Any]:
        # TEI refuses an input past max_input_length (422) unless told to truncate or started with
        # --auto-truncate (router/src/http/types.rs ``EmbedRequest.truncate``; only documented, TEI does not
        # install here); a local model truncates, so a url must too.
        return embeddings_payload(texts, normalize=normalize) | {"truncate": True}

    def parse(self, body: Any, *, count: int) -> Vectors:
        return parse_embeddings(body, count=count)


class TeiSparse(SparseProtocol):
    def url(self, at: Address) -> str:
        return at.at("/embed_sparse")

    def payload(self, at: Address, texts: Sequence[str]) -> dict[str, Any]:
        return sparse_payload(texts)

    def parse(self, body: Any, *, count: int) -> SparseVectors:
        return parse_sparse(body, count=count)


_ROUTES = {TaskType.TEXT_CLASSIFICATION: "/predict", TaskType.SENTENCE_SIMILARITY: "/similarity"}


class TeiPredict(PipelineProtocol):
    """A TEI classifier's ``/predict`` for text-classification (``raw_scores`` for ``function_to_apply:
    none``; TEI applies the model's own activation otherwise) and ``/similarity`` for sentence-similarity
    (TEI ``router/src/http/server.rs``). TEI answers one text's labels as a flat list, which the task's
    module nests; ``top_k`` is applied here, as TEI has none."""

    def url(self, at: Address, task: Pipeline[Any]) -> str:
        route = _ROUTES.get(task.task)
        if route is None:
            raise BadRequestError(
                f"A TEI server serves [{', '.join(t.value for t in _ROUTES)}] of the Hub's tasks, not "
                f"[{task.task.value}]; register the url of a server running that task (Hugging Face's inference "
                "toolkit: engine [pipeline]), or a local endpoint",
                param="task_type",
            )
        return at.at(route)

    def payload(self, at: Address, task: Pipeline[Any], request: PipelineRequest) -> Any:
        if not isinstance(request, TextClassification):
            return task.payload(request)
        inputs = list(request.texts) if request.listed else request.texts[0]
        return {"inputs": inputs, "raw_scores": request.function_to_apply == "none", "truncate": True}

    def parse(self, at: Address, task: Pipeline[Any], request: PipelineRequest, body: Any) -> Any:
        answer = task.answer(body)
        if isinstance(request, TextClassification) and request.top_k is not None and isinstance(answer, list):
            return [row[: request.top_k] if isinstance(row, list) else row for row in answer]
        return answer


NAME = "tei"
OWNED_BY: tuple[str, ...] = ()  # TEI has no /v1/models; its /info names a model_type
PROTOCOLS: dict[Kind, Protocol] = {
    "embed": TeiEmbed(),
    "sparse": TeiSparse(),
    "rerank": TeiRerank(),
    "pipeline": TeiPredict(),
}
