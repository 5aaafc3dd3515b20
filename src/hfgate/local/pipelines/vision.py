"""The Hub's vision tasks on transformers' pipelines, over images decoded by PIL (:mod:`hfgate.images`: the
same limits as an embedded image's) off the event loop, batched across concurrent requests asking the same
parameters."""

from __future__ import annotations

import asyncio

from hfgate.images import ImageInput, decode_image
from hfgate.local.pipelines.base import TransformersRunner
from hfgate.pipelines import PipelineAnswer
from hfgate.pipelines.files import InputFile
from hfgate.pipelines.image_classification import ImageClassification


async def pixels(image: InputFile) -> object:
    """``image`` decoded to RGB pixels (a PIL image), in a worker thread.

    Raises:
        BadRequestError: not an image PIL reads, or more pixels than :data:`hfgate.images.MAX_IMAGE_PIXELS`;
            names the request's field.
    """
    return await asyncio.to_thread(decode_image, ImageInput(data=image.data, field=image.field))


class ImageClassifier(TransformersRunner[ImageClassification]):
    task = "image-classification"

    async def run(self, request: ImageClassification) -> PipelineAnswer:
        parameters: dict[str, object] = {}
        if request.top_k is not None:
            parameters["top_k"] = request.top_k
        if request.function_to_apply is not None:
            parameters["function_to_apply"] = request.function_to_apply
        (output,) = await self.batched([await pixels(request.image)], parameters)
        return PipelineAnswer(body=output)
