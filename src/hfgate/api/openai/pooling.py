"""vLLM's pooling routes on the OpenAI face: ``/classify`` (a text-classification endpoint) and ``/score`` (a
sentence-similarity or rerank endpoint); ``/v1/classify`` (SGLang's path for the same API) and ``/v1/score``
(vLLM's older one) too.

Shapes from vLLM's ``vllm/entrypoints/pooling/score/protocol.py`` (``ScoreRequest``: ``model``, ``text_1``,
``text_2``; ``ScoreResponse``: ``{"id", "object": "list", "created", "model", "data": [{"index", "object":
"score", "score"}], "usage"}``) and ``score/api_router.py`` (``/score``, ``/v1/score``), and for ``/classify``
vLLM's ``ClassificationRequest``/``ClassificationResponse`` as SGLang's ``docs/supported_models/retrieval_ranking/
classify_models.md`` documents them (``{"model", "input"}`` → ``{"id", "object": "list", "created", "model",
"data": [{"index", "label", "probs", "num_classes"}], "usage"}``).

``model`` is an endpoint's id, as on every OpenAI route. ``/classify`` runs the endpoint's text-classification
with the model's own activation: ``label`` is the best class, ``probs`` every class's score by class id (in the
order the answer ranks them where the service cannot say the ids: an upstream's). ``/score`` pairs texts as vLLM
does (1:1, 1:N, or N:N): on a sentence-similarity endpoint the score is the cosine of the two texts' embeddings
(vLLM's for an embedding model), on a rerank endpoint the cross-encoder's relevance (vLLM's for a cross-encoder).
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel, ConfigDict, Field

from hfgate.access.roles import Role
from hfgate.api.body import Texts, json_response, read_body
from hfgate.api.chat_schema import NonEmpty
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep
from hfgate.api.openai import answers
from hfgate.api.openai.errors import FACE as OPENAI
from hfgate.api.openai.shapes import new_id
from hfgate.errors import BadRequestError, EmptyInputError, RequestValidationError
from hfgate.orchestrator import Orchestrator
from hfgate.pipelines import PipelineAnswer, pipeline_for
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import RerankRequest, TaskType

ROUTES = FaceRoutes(OPENAI, tag="OpenAI-compatible", error=answers.OpenAIError)


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


class ClassifyRequest(_Wire):
    model: NonEmpty = Field(description="a text-classification endpoint's id (GET /v1/models)")
    input: Texts = Field(description="the text to classify, or an array of texts")


class ScoreRequest(_Wire):
    model: NonEmpty = Field(description="a sentence-similarity or rerank endpoint's id (GET /v1/models)")
    text_1: Texts = Field(description="one text, or as many as text_2 (paired in order)")
    text_2: Texts = Field(description="one text or an array of them")


class _Usage(_Wire):
    prompt_tokens: int
    total_tokens: int
    completion_tokens: int


class Classification(_Wire):
    index: int
    label: str
    probs: list[float]
    num_classes: int


class ClassifyResponse(_Wire):
    id: str
    object: str
    created: int
    model: str
    data: list[Classification]
    usage: _Usage


class Score(_Wire):
    index: int
    object: str
    score: float


class ScoreResponse(_Wire):
    id: str
    object: str
    created: int
    model: str
    data: list[Score]
    usage: _Usage


@ROUTES.post("/classify", "/v1/classify", role=Role.INFER, body=ClassifyRequest, answer=ClassifyResponse)
async def classify(request: Request, orch: OrchestratorDep) -> Response:
    """vLLM's classification: each text's best ``label`` and every class's probability."""
    body = await read_body(request, ClassifyRequest)
    answer = await classified(orch, body.model, checked_texts(body.input, "input"), parameters={})
    data = [_classification(index, row, answer.labels) for index, row in enumerate(answer.body)]
    return json_response(_listed("classify", body.model, data, tokens=answer.usage.prompt_tokens))


async def classified(orch: Orchestrator, model: str, texts: list[str], *, parameters: dict[str, Any]) -> PipelineAnswer:
    """``texts`` run through text-classification endpoint ``model``: one list of ``{"label", "score"}`` each.

    Raises:
        BadRequestError: ``model`` is an endpoint of another task type (naming ``model``).
    """
    endpoint = await orch.endpoint_for(model, None)
    _check_task(endpoint, model, (TaskType.TEXT_CLASSIFICATION,))
    return await orch.pipeline(endpoint, pipeline_for(TaskType.TEXT_CLASSIFICATION).request(texts, parameters))


def checked_texts(texts: list[str], field: str) -> list[str]:
    """``texts``, none empty, at least one.

    Raises:
        EmptyInputError: an empty array or an empty text (naming ``field``).
    """
    if not texts:
        raise EmptyInputError([f"[{field}] cannot be an empty array; give at least one text"], param=field)
    for index, text in enumerate(texts):
        if not text.strip():
            raise EmptyInputError([f"[{field}] holds an empty text at [{index}]"], param=field)
    return texts


def _classification(index: int, row: list[dict[str, Any]], labels: tuple[str, ...]) -> dict[str, Any]:
    scores = {str(hit["label"]): float(hit["score"]) for hit in row}
    order = labels or tuple(scores)
    probs = [scores.get(label, 0.0) for label in order]
    return {"index": index, "label": str(row[0]["label"]), "probs": probs, "num_classes": len(probs)}


@ROUTES.post("/score", "/v1/score", role=Role.INFER, body=ScoreRequest, answer=ScoreResponse)
async def score(request: Request, orch: OrchestratorDep) -> Response:
    """vLLM's score: how alike (sentence-similarity) or relevant (rerank) each pair of ``text_1`` and ``text_2`` is."""
    body = await read_body(request, ScoreRequest)
    firsts, seconds = checked_texts(body.text_1, "text_1"), checked_texts(body.text_2, "text_2")
    if len(firsts) > 1 and len(firsts) != len(seconds):
        raise RequestValidationError(
            [f"[text_2] must hold as many texts as [text_1] ({len(firsts)}), or [text_1] one text; got {len(seconds)}"],
            param="text_2",
        )
    endpoint = await orch.endpoint_for(body.model, None)
    _check_task(endpoint, body.model, (TaskType.SENTENCE_SIMILARITY, TaskType.RERANK))
    groups = [(firsts[0], seconds)] if len(firsts) == 1 else [(a, [b]) for a, b in zip(firsts, seconds, strict=True)]
    scores: list[float] = []
    tokens = 0
    async with orch.deadline(endpoint.task_type):  # one for every group
        for first, others in groups:
            found, used = await _scores(orch, endpoint, first, others)
            scores += found
            tokens += used
    data = [{"index": index, "object": "score", "score": value} for index, value in enumerate(scores)]
    return json_response(_listed("score", body.model, data, tokens=tokens))


async def _scores(orch: Orchestrator, endpoint: Endpoint, first: str, others: list[str]) -> tuple[list[float], int]:
    """``first``'s score with each of ``others``, in their order, and the tokens read."""
    if endpoint.task_type is TaskType.RERANK:
        asked = RerankRequest(query=first, documents=tuple(others), top_n=len(others), return_documents=False)
        result = await orch.rerank(endpoint, asked)
        by_index = {hit.index: hit.score for hit in result.hits}
        return [by_index[index] for index in range(len(others))], result.usage.prompt_tokens
    inputs = {"source_sentence": first, "sentences": others}
    answer = await orch.pipeline(endpoint, pipeline_for(TaskType.SENTENCE_SIMILARITY).request(inputs, {}))
    return [float(value) for value in answer.body], answer.usage.prompt_tokens


def _check_task(endpoint: Endpoint, model: str, tasks: tuple[TaskType, ...]) -> None:
    if endpoint.task_type not in tasks:
        wanted = " or ".join(f"[{task.value}]" for task in tasks)
        raise BadRequestError(
            f"[model] [{model}] is a [{endpoint.task_type.value}] endpoint; this route takes a {wanted} endpoint "
            "(GET /v1/models gives each model's task_type)",
            param="model",
        )


def _listed(kind: str, model: str, data: list[dict[str, Any]], *, tokens: int) -> dict[str, Any]:
    usage = {"prompt_tokens": tokens, "total_tokens": tokens, "completion_tokens": 0, "prompt_tokens_details": None}
    return {"id": new_id(kind), "object": "list", "created": int(time.time()), "model": model, "data": data,
            "usage": usage}  # fmt: skip
