"""The Hub's tasks beyond embeddings, rerank and generation, by the Hub's names: one module per task, each
declaring its request (read from the Inference API's ``{"inputs", "parameters"}`` or raw bytes) and its
answer (the JSON ``huggingface_hub.InferenceClient`` parses), found through :data:`PIPELINES` by every face
and service. The local runner of each is its namesake in ``local/pipelines/``; an upstream is sent the
Inference API's body (:meth:`Pipeline.payload`) by ``upstream/engines/``.

Adding a task: a module here (its request, ``PIPELINE``), one in ``local/pipelines/``, a line in each
registry, and its ``TaskType`` member; no face or service changes (see docs/tasks.md).
"""

from __future__ import annotations

from typing import Any

from hfgate.errors import BadRequestError
from hfgate.pipelines import (
    audio_classification,
    automatic_speech_recognition,
    fill_mask,
    image_classification,
    object_detection,
    question_answering,
    sentence_similarity,
    summarization,
    table_question_answering,
    text_classification,
    token_classification,
    translation,
    zero_shot_classification,
    zero_shot_image_classification,
)
from hfgate.pipelines.base import Pipeline, PipelineAnswer, PipelineRequest
from hfgate.tasks import TaskType

__all__ = ["PIPELINES", "Pipeline", "PipelineAnswer", "PipelineRequest", "pipeline_for"]

PIPELINES: dict[TaskType, Pipeline[Any]] = {
    module.PIPELINE.task: module.PIPELINE
    for module in (
        text_classification,
        token_classification,
        zero_shot_classification,
        fill_mask,
        question_answering,
        table_question_answering,
        sentence_similarity,
        summarization,
        translation,
        automatic_speech_recognition,
        audio_classification,
        image_classification,
        zero_shot_image_classification,
        object_detection,
    )
}
"""Every Hub task hfgate serves beyond Elasticsearch's six, by task type."""


def pipeline_for(task: TaskType) -> Pipeline[Any]:
    """The Hub task ``task`` names.

    Raises:
        BadRequestError: ``task`` is one of Elasticsearch's task types, served by their own routes.
    """
    found = PIPELINES.get(task)
    if found is None:
        raise BadRequestError(f"[{task.value}] is not a Hub pipeline task; it has routes of its own", param="task_type")
    return found
