"""The Hub's vision tasks on transformers' pipelines, over images decoded by PIL (:mod:`hfgate.images`: the
same limits as an embedded image's) off the event loop, batched across concurrent requests asking the same
parameters (an object detector's, only images of one size: its processor keeps each image's aspect, and
transformers' pipeline stacks a batch's pixels unpadded)."""

from __future__ import annotations

import asyncio
from itertools import groupby
from typing import Any, TypeVar

from hfgate.errors import BadRequestError
from hfgate.images import MAX_IMAGE_PIXELS, ImageInput, decode_image
from hfgate.local.pipelines.base import TransformersRunner, plain, refuse
from hfgate.pipelines import PipelineAnswer, PipelineRequest
from hfgate.pipelines.files import InputFile
from hfgate.pipelines.image_classification import ImageClassification
from hfgate.pipelines.object_detection import ObjectDetection
from hfgate.pipelines.zero_shot_image_classification import ZeroShotImageClassification
from hfgate.tasks import Usage

Q = TypeVar("Q", bound=PipelineRequest)


class VisionRunner(TransformersRunner[Q]):
    """A runner whose requests hold an image, decoded and checked against what its processor makes of it."""

    async def pixels(self, image: InputFile) -> Any:
        """``image`` decoded to RGB pixels (a PIL image), in a worker thread.

        Raises:
            BadRequestError: not an image PIL reads, or more pixels than :data:`hfgate.images.MAX_IMAGE_PIXELS`
                as sent or as the model's processor would resize it (a thin strip whose short side is scaled up
                to the processor's ``shortest_edge``); names the request's field.
        """
        decoded: Any = await asyncio.to_thread(decode_image, ImageInput(data=image.data, field=image.field))
        width, height = decoded.size
        resized = resized_pixels(width, height, getattr(self.pipe.image_processor, "size", None))
        if resized > MAX_IMAGE_PIXELS:
            raise BadRequestError(
                f"Field {image.field} is an image of [{width}x{height}] pixels, which [{self.name}]'s processor "
                f"would resize to [{resized}] pixels; the most is [{MAX_IMAGE_PIXELS}]: crop it closer to a square",
                param=image.field,
            )
        return decoded


def resized_pixels(width: int, height: int, size: Any) -> int:
    """The pixels an image processor's resize makes of a ``width`` × ``height`` image: its short side scaled to
    ``shortest_edge`` (the long one then kept within ``longest_edge``), or a fixed ``height`` × ``width``."""
    shortest, longest = _size(size, "shortest_edge"), _size(size, "longest_edge")
    if shortest is None or min(width, height) <= 0:
        fixed_height, fixed_width = _size(size, "height"), _size(size, "width")
        return fixed_height * fixed_width if fixed_height and fixed_width else width * height
    scale = shortest / min(width, height)
    if longest is not None and max(width, height) * scale > longest:
        scale = longest / max(width, height)
    return round(width * scale) * round(height * scale)


def _size(size: Any, key: str) -> int | None:
    """A processor's ``size`` entry (a dict, or transformers' ``SizeDict``), when a positive integer."""
    value = size.get(key) if isinstance(size, dict) else getattr(size, key, None)
    return value if isinstance(value, int) and value > 0 else None


class ImageClassifier(VisionRunner[ImageClassification]):
    task = "image-classification"

    async def run(self, request: ImageClassification) -> PipelineAnswer:
        parameters: dict[str, object] = {}
        if request.top_k is not None:
            parameters["top_k"] = request.top_k
        if request.function_to_apply is not None:
            parameters["function_to_apply"] = request.function_to_apply
        (output,) = await self.batched([await self.pixels(request.image)], parameters)
        return PipelineAnswer(body=output)


class ZeroShotImageClassifier(VisionRunner[ZeroShotImageClassification]):
    """CLIP or SigLIP scoring an image against the request's labels, each written into its template."""

    task = "zero-shot-image-classification"

    async def run(self, request: ZeroShotImageClassification) -> PipelineAnswer:
        parameters = {
            "candidate_labels": list(request.candidate_labels),
            "hypothesis_template": request.hypothesis_template,
        }
        texts = [request.hypothesis_template.format(label) for label in request.candidate_labels]
        lengths = [len(ids) for ids in self.pipe.tokenizer(texts)["input_ids"]]
        self._refuse_too_long(request, lengths)
        (output,) = await self.batched([await self.pixels(request.image)], parameters)
        return PipelineAnswer(body=output, usage=Usage(prompt_tokens=sum(lengths)))

    def _refuse_too_long(self, request: ZeroShotImageClassification, lengths: list[int]) -> None:
        """Nothing when every label's text fits the text tower's positions (SigLIP's pipeline truncates)."""
        config = self.pipe.model.config
        if "siglip" in str(config.model_type):
            return
        limit = getattr(getattr(config, "text_config", config), "max_position_embeddings", None)
        longest = max(range(len(lengths)), key=lambda i: lengths[i])
        if isinstance(limit, int) and lengths[longest] > limit:
            raise refuse(
                "parameters.candidate_labels",
                f"`parameters.candidate_labels`: the label [{request.candidate_labels[longest]}] makes a text of "
                f"{lengths[longest]} tokens with the hypothesis template; [{self.name}] reads at most {limit}: "
                "shorten it",
            )


class ObjectDetector(VisionRunner[ObjectDetection]):
    """A DETR-like detector's boxes above the request's threshold, in the image's pixels."""

    task = "object-detection"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().__init__(*args, **kwargs)
        except ImportError as exc:  # DETR's own checkpoints build their ResNet with timm
            missing = " ".join(str(exc).split()).split(". ")[0][:200]
            raise refuse(
                "service_settings.model",
                f"[{kwargs.get('name', args[0] if args else '')}] needs a library hfgate does not install to build "
                f"its backbone ({missing}); give a detector whose backbone transformers builds itself, such as "
                "YOLOS (hustvl/yolos-small)",
            ) from exc

    async def run(self, request: ObjectDetection) -> PipelineAnswer:
        parameters = {} if request.threshold is None else {"threshold": request.threshold}
        (output,) = await self.batched([await self.pixels(request.image)], parameters)
        return PipelineAnswer(body=output)

    def compute_batch(self, inputs: list[Any], parameters: dict[str, Any]) -> list[Any]:
        results: dict[int, Any] = {}
        by_size = sorted(range(len(inputs)), key=lambda i: inputs[i].size)
        for _size, group in groupby(by_size, key=lambda i: inputs[i].size):
            indices = list(group)
            outputs = self.pipe([inputs[i] for i in indices], batch_size=len(indices), **parameters)
            results.update(zip(indices, (plain(each) for each in outputs), strict=True))
        return [results[i] for i in range(len(inputs))]
