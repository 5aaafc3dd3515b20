"""``/v1/moderations`` in OpenAI's shape, on a text-classification endpoint (a toxicity or safety classifier):
what ``client.moderations.create(model=..., input=...)`` sends.

Request ``{"input": text | [text], "model"}``: ``model`` is required here and names the endpoint (OpenAI's default
model is no endpoint of hfgate's); ``input`` takes texts only (OpenAI's image parts are refused, naming ``input``).
Answer ``{"id", "model", "results": [{"flagged", "categories", "category_scores"}]}``, one result per text: the
categories are the model's own labels, ``category_scores`` each label's sigmoid score (every label, each scored
apart: ``function_to_apply: "sigmoid"``, no ``top_k``), ``categories`` whether a label scores 0.5 or more, and
``flagged`` whether a label that is not :func:`neutral` does.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel, ConfigDict, Field

from hfgate.access.roles import Role
from hfgate.api.body import Texts, json_response, read_body
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep
from hfgate.api.openai import answers
from hfgate.api.openai.errors import FACE as OPENAI
from hfgate.api.openai.pooling import checked_texts, classified
from hfgate.api.openai.shapes import new_id
from hfgate.errors import RequestValidationError

ROUTES = FaceRoutes(OPENAI, tag="OpenAI-compatible", error=answers.OpenAIError)

THRESHOLD = 0.5
"""A label's score from which it counts as found."""

NEUTRAL = frozenset({"neutral", "nontoxic", "nottoxic", "ok", "safe", "normal", "none", "clean", "label0"})
"""Labels that say nothing was found (compared lowercased, without spaces, ``-`` and ``_``): a toxicity
classifier's ``non-toxic``, a safety classifier's ``safe``; ``LABEL_0``, the first class of a model whose labels
have no names, by the convention of binary classifiers (0: the negative class)."""


def neutral(label: str) -> bool:
    """Whether ``label`` means nothing was found (:data:`NEUTRAL`): it never flags a text."""
    return re.sub(r"[\s_-]", "", label.lower()) in NEUTRAL


class ModerationRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)
    input: Texts = Field(description="the text to classify, or an array of texts")
    model: str | None = Field(default=None, description="a text-classification endpoint's id (required here)")


class ModerationResult(BaseModel):
    flagged: bool
    categories: dict[str, bool]
    category_scores: dict[str, float]


class ModerationResponse(BaseModel):
    id: str
    model: str
    results: list[ModerationResult]


@ROUTES.post("/v1/moderations", role=Role.INFER, body=ModerationRequest, answer=ModerationResponse)
async def moderations(request: Request, orch: OrchestratorDep) -> Response:
    """Each text's labels by a text-classification endpoint, and whether any that is not neutral was found."""
    body = await read_body(request, ModerationRequest)
    if not body.model:
        raise RequestValidationError(
            ["[model] is required: name a text-classification endpoint (GET /v1/models)"], param="model"
        )
    texts = checked_texts(body.input, "input")
    answer = await classified(orch, body.model, texts, parameters={"function_to_apply": "sigmoid"})
    results = [_result(row) for row in answer.body]
    return json_response({"id": new_id("modr"), "model": body.model, "results": results})


def _result(row: list[dict[str, Any]]) -> dict[str, Any]:
    scores = {str(hit["label"]): float(hit["score"]) for hit in row}
    found = {label: value >= THRESHOLD for label, value in scores.items()}
    flagged = any(hit and not neutral(label) for label, hit in found.items())
    return {"flagged": flagged, "categories": found, "category_scores": scores}
