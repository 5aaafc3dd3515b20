"""``embedContent`` and ``batchEmbedContents`` on a text embedding endpoint.

Source: the Gemini API reference, ``EmbedContentRequest``: ``content`` (its text parts are joined into
one text: one vector per content), ``taskType``, ``title``, ``outputDimensionality``; a batch's
``requests[i].model`` must name the model of the path. ``taskType`` becomes hfgate's input type
(``RETRIEVAL_QUERY``, ``QUESTION_ANSWERING``, ``FACT_VERIFICATION`` and ``CODE_RETRIEVAL_QUERY`` embed
as a search query; ``RETRIEVAL_DOCUMENT`` as a document; ``CLASSIFICATION``, ``CLUSTERING`` as such;
``SEMANTIC_SIMILARITY`` as the model's default), which models with query and document prompts honour.
``title`` is read and not embedded (no model here was trained with Gemini's titles).
``outputDimensionality`` keeps the first n values as Gemini does, without normalizing them again.
An image (one ``inlineData`` part with an ``image/*`` ``mimeType``, alone in its content) is embedded by an
image-and-text model (CLIP, SigLIP); a text model refuses it naming ``content.parts[j].inlineData.mimeType``.
"""

from __future__ import annotations

from collections.abc import Sequence

from hfgate.api.gemini.schema import EmbedContentRequest
from hfgate.errors import BadRequestError, RequestValidationError
from hfgate.images import ImageInput, image_from_base64, split_contents
from hfgate.orchestrator import Orchestrator
from hfgate.tasks import EmbedRequest, InputType, TaskType

_TASKS: dict[str, InputType | None] = {
    "TASK_TYPE_UNSPECIFIED": None,
    "SEMANTIC_SIMILARITY": None,
    "RETRIEVAL_QUERY": InputType.SEARCH,
    "QUESTION_ANSWERING": InputType.SEARCH,
    "FACT_VERIFICATION": InputType.SEARCH,
    "CODE_RETRIEVAL_QUERY": InputType.SEARCH,
    "RETRIEVAL_DOCUMENT": InputType.INGEST,
    "CLASSIFICATION": InputType.CLASSIFICATION,
    "CLUSTERING": InputType.CLUSTERING,
}


async def embed_requests(orch: Orchestrator, model: str, requests: Sequence[EmbedContentRequest]) -> list[list[float]]:
    """One vector per request, in order, within one deadline; requests of one task type go to the endpoint
    together.

    Raises:
        RequestValidationError, BadRequestError: a request names another model, holds no text or a
            part other than text, or asks for a task type or a dimension hfgate cannot give.
    """
    if not requests:
        raise RequestValidationError(["Field [requests] must hold at least one request"], param="requests")
    single = len(requests) == 1
    for i, request in enumerate(requests):
        if request.model not in (None, model, f"models/{model}"):
            raise RequestValidationError(
                [f"Field [requests[{i}].model] is [{request.model}] but the path names [models/{model}]; a batch "
                 "embeds with one model"],
                param=f"requests[{i}].model",
            )  # fmt: skip
    texts = [_text(r, i, single=single) for i, r in enumerate(requests)]
    kinds = [_input_type(r, _where(i, single)) for i, r in enumerate(requests)]
    endpoint = await orch.endpoint_for(model, TaskType.TEXT_EMBEDDING)
    vectors: list[list[float]] = [[] for _ in requests]
    async with orch.deadline(endpoint.task_type):
        for kind in dict.fromkeys(kinds):
            places = [i for i, k in enumerate(kinds) if k == kind]
            chosen, images = split_contents([texts[i] for i in places])
            result = await orch.embed(endpoint, EmbedRequest(texts=chosen, images=images, input_type=kind))
            for place, vector in zip(places, result.embeddings, strict=True):
                vectors[place] = _cut(vector, requests[place].output_dimensionality, _where(place, single))
    return vectors


def _where(i: int, single: bool) -> str:
    return "" if single else f"requests[{i}]."


def _text(request: EmbedContentRequest, i: int, *, single: bool) -> str | ImageInput:
    where = _where(i, single)
    parts = request.content.parts
    if len(parts) == 1 and parts[0].inline_data is not None and parts[0].inline_data.mime_type.startswith("image/"):
        field = f"{where}content.parts[0].inlineData"
        return image_from_base64(
            parts[0].inline_data.data, item=field, field=f"{field}.data", type_field=f"{field}.mimeType"
        )
    for j, part in enumerate(parts):
        if part.text is None:
            raise BadRequestError(
                f"[{where}content.parts[{j}]] is not text; hfgate embeds text parts, or one image (inlineData with "
                "an image/* mimeType) alone in its content for an image-and-text model",
                param=f"{where}content.parts[{j}]",
            )
    text = "".join(part.text or "" for part in request.content.parts)
    if not text:
        raise RequestValidationError(
            [f"Field [{where}content.parts] must hold text to embed"], param=f"{where}content.parts"
        )
    return text


def _input_type(request: EmbedContentRequest, where: str) -> InputType | None:
    name = (request.task_type or "TASK_TYPE_UNSPECIFIED").upper()
    if name not in _TASKS:
        raise RequestValidationError(
            [f"Field [{where}taskType] must be one of {sorted(_TASKS)}, got [{request.task_type}]"],
            param=f"{where}taskType",
        )
    return _TASKS[name]


def _cut(vector: list[float], dimensions: int | None, where: str) -> list[float]:
    if dimensions is None or dimensions == len(vector):
        return vector
    if not 1 <= dimensions <= len(vector):
        raise RequestValidationError(
            [f"Field [{where}outputDimensionality] must be between 1 and the model's [{len(vector)}], got "
             f"[{dimensions}]"],
            param=f"{where}outputDimensionality",
        )  # fmt: skip
    return vector[:dimensions]
