"""The Hub's vision tasks on transformers' pipelines, over images decoded by PIL (:mod:`hfgate.images`: the
same limits as an embedded image's) off the event loop, batched across concurrent requests asking the same
parameters (an object detector's, only images of one size: its processor keeps each image's aspect, and
transformers' pipeline stacks a batch's pixels unpadded)."""

from __future__ import annotations

import asyncio
from itertools import groupby
from typing import Any

from hfgate.images import ImageInput, decode_image
from hfgate.local.pipelines.base import TransformersRunner, plain
from hfgate.pipelines import PipelineAnswer
from hfgate.pipelines.files import InputFile
from hfgate.pipelines.image_classification import ImageClassification
from hfgate.pipelines.object_detection import ObjectDetection
from hfgate.pipelines.zero_shot_image_classification import ZeroShotImageClassification
from hfgate.tasks import Usage


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


class ZeroShotImageClassifier(TransformersRunner[ZeroShotImageClassification]):
    """CLIP or SigLIP scoring an image against the request's labels, each written into its template."""

    task = "zero-shot-image-classification"

    async def run(self, request: ZeroShotImageClassification) -> PipelineAnswer:
        parameters = {
            "candidate_labels": list(request.candidate_labels),
            "hypothesis_template": request.hypothesis_template,
        }
        (output,) = await self.batched([await pixels(request.image)], parameters)
        tokens = self.tokens([request.hypothesis_template.format(label) for label in request.candidate_labels])
        return PipelineAnswer(body=output, usage=Usage(prompt_tokens=tokens))


class ObjectDetector(TransformersRunner[ObjectDetection]):
    """A DETR-like detector's boxes above the request's threshold, in the image's pixels."""

    task = "object-detection"

    async def run(self, request: ObjectDetection) -> PipelineAnswer:
        parameters = {} if request.threshold is None else {"threshold": request.threshold}
        (output,) = await self.batched([await pixels(request.image)], parameters)
        return PipelineAnswer(body=output)

    def compute_batch(self, inputs: list[Any], parameters: dict[str, Any]) -> list[Any]:
        results: dict[int, Any] = {}
        by_size = sorted(range(len(inputs)), key=lambda i: inputs[i].size)
        for _size, group in groupby(by_size, key=lambda i: inputs[i].size):
            indices = list(group)
            outputs = self.pipe([inputs[i] for i in indices], batch_size=len(indices), **parameters)
            results.update(zip(indices, (plain(each) for each in outputs), strict=True))
        return [results[i] for i in range(len(inputs))]
