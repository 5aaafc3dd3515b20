"""TEI's routes beyond embeddings and rerank, under ``/hf/{inference_id}``: ``/predict`` (a text-classification
endpoint), ``/similarity`` (a sentence-similarity endpoint), ``/decode`` (any endpoint whose tokenizer hfgate
loads: ``/tokenize`` back) and ``/embed_all`` (declared, and refused: see :func:`embed_all`).

Shapes from TEI's router, huggingface/text-embeddings-inference ``router/src/http/types.rs``: ``PredictRequest``
(``inputs``: a string, a pair ``[a, b]``, or a batch ``[[a], [a, b], …]``; ``raw_scores``; ``truncate``) answered
by ``PredictResponse`` (one input: a flat ``[{"label", "score"}]``; a batch: one list each); ``SimilarityRequest``
(``{"inputs": {"source_sentence", "sentences"}, "parameters"}``) answered by ``[score, …]``; ``DecodeRequest``
(``ids``: one row or several; ``skip_special_tokens``, default true) answered by ``[text, …]``, one per row;
``EmbedAllRequest``. Each route runs the endpoint's task through the orchestrator as ``POST /hf/{id}`` does, so
the answers are the Inference API's. A pair of texts is refused (hfgate's classifier reads single texts);
``truncate`` and ``truncation_direction`` are read and not acted on.
"""

from __future__ import annotations

from typing import Any, cast

from fastapi import Request, Response
from pydantic import BaseModel, ConfigDict, Field

from hfgate.access.roles import Role
from hfgate.api.body import decode, json_object, json_response
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep
from hfgate.api.hf import schema
from hfgate.api.hf.errors import FACE as HF
from hfgate.errors import BadRequestError, RequestValidationError
from hfgate.pipelines import pipeline_for
from hfgate.tasks import TaskType

ROUTES = FaceRoutes(HF, tag="Hugging Face-compatible (TEI/TGI)", error=schema.HfError)

_HF = "/hf/{inference_id}"


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


class PredictRequest(_Wire):
    inputs: str | list[str] | list[list[str]] = Field(
        description="a text; a pair [a, b] (refused: hfgate classifies single texts); or a batch [[a], [b], …]"
    )
    raw_scores: bool | None = Field(default=None, description="the logits, without the model's activation")
    truncate: bool | None = None
    truncation_direction: str | None = None


class Prediction(_Wire):
    label: str
    score: float


class SimilarityInput(_Wire):
    source_sentence: str
    sentences: list[str]


class SimilarityRequest(_Wire):
    inputs: SimilarityInput
    parameters: dict[str, Any] | None = Field(
        default=None, description="TEI's truncate, truncation_direction (read, not acted on) and prompt_name (refused)"
    )


class EmbedAllRequest(_Wire):
    inputs: str | list[str]
    truncate: bool | None = None


class DecodeRequest(_Wire):
    ids: list[int] | list[list[int]] = Field(description="one row of token ids, or several")
    skip_special_tokens: bool | None = Field(default=None, description="leave the special tokens out (default true)")


@ROUTES.post(f"{_HF}/predict", role=Role.INFER, body=PredictRequest, answer=list[Prediction] | list[list[Prediction]])
async def predict(inference_id: str, request: Request, orch: OrchestratorDep) -> Response:
    """TEI's sequence classification: every label with its score, best first."""
    raw = await json_object(request)
    endpoint = await orch.endpoint_for(inference_id, TaskType.TEXT_CLASSIFICATION)
    body = decode(raw, PredictRequest)
    texts, batch = _predict_texts(body.inputs)
    parameters = {"function_to_apply": "none"} if body.raw_scores else {}
    answer = await orch.pipeline(endpoint, pipeline_for(TaskType.TEXT_CLASSIFICATION).request(texts, parameters))
    return json_response(answer.body if batch else answer.body[0])


def _predict_texts(inputs: str | list[str] | list[list[str]]) -> tuple[list[str], bool]:
    """The texts to classify, and whether the answer is a batch's (one list per text).

    Raises:
        BadRequestError: a pair of texts, or a batch item that is not one text.
    """
    if isinstance(inputs, str):
        return [inputs], False
    if inputs and all(isinstance(item, str) for item in inputs):  # TEI reads [a] as one text, [a, b] as a pair
        if len(inputs) == 1:
            return [str(inputs[0])], False
        raise _pair("inputs")
    for index, item in enumerate(inputs):
        if not isinstance(item, list) or len(item) != 1:
            raise _pair(f"inputs[{index}]")
    return [str(item[0]) for item in inputs], True


def _pair(field: str) -> BadRequestError:
    return BadRequestError(
        f"[{field}] must be one text ([text]); a pair of texts is not served: hfgate's text-classification "
        "runs on single texts",
        param=field,
    )


@ROUTES.post(f"{_HF}/similarity", role=Role.INFER, body=SimilarityRequest, answer=list[float])
async def similarity(inference_id: str, request: Request, orch: OrchestratorDep) -> Response:
    """TEI's sentence similarity: the cosine of ``source_sentence`` with each of ``sentences``, in their order."""
    raw = await json_object(request)
    endpoint = await orch.endpoint_for(inference_id, TaskType.SENTENCE_SIMILARITY)
    body = decode(raw, SimilarityRequest)
    if (body.parameters or {}).get("prompt_name") is not None:
        raise RequestValidationError(
            ["[parameters.prompt_name] is not supported: hfgate embeds the sentences as given"],
            param="parameters.prompt_name",
        )
    inputs = {"source_sentence": body.inputs.source_sentence, "sentences": body.inputs.sentences}
    answer = await orch.pipeline(endpoint, pipeline_for(TaskType.SENTENCE_SIMILARITY).request(inputs, {}))
    return json_response(answer.body)


@ROUTES.post(f"{_HF}/embed_all", role=Role.INFER, body=EmbedAllRequest, answer=list[list[list[float]]])
async def embed_all(inference_id: str, request: Request, orch: OrchestratorDep) -> Response:
    """TEI's every-token vectors: not served. hfgate's embedders pool each text into one vector within the model's
    pass (batched, cached, on the engine measured fastest) and keep no token vectors; giving them would take a
    second, unpooled path through each engine. ``/embed`` gives the pooled vector, ``/tokenize`` the tokens."""
    await json_object(request)
    await orch.endpoint_for(inference_id, TaskType.TEXT_EMBEDDING)
    raise BadRequestError(
        f"[/embed_all] is not served for [{inference_id}]: hfgate's embedders pool each text into one vector and "
        "keep no token vectors; use /embed for the pooled vector, /tokenize for the tokens"
    )


@ROUTES.post(f"{_HF}/decode", role=Role.INFER, body=DecodeRequest, answer=list[str])
async def decode_ids(inference_id: str, request: Request, orch: OrchestratorDep) -> Response:
    """TEI's ``/decode``: token ids back to text, by the endpoint's own tokenizer, one text per row."""
    raw = await json_object(request)
    endpoint = await orch.endpoint_for(inference_id, None)
    body = decode(raw, DecodeRequest)
    texts = await orch.decode(endpoint, _rows(body.ids), skip_special_tokens=body.skip_special_tokens is not False)
    return json_response(texts)


def _rows(ids: list[int] | list[list[int]]) -> list[list[int]]:
    """TEI's ``InputIds``: one row, or several."""
    if all(isinstance(token_id, int) for token_id in ids):
        return [cast(list[int], ids)]
    return cast(list[list[int]], ids)
