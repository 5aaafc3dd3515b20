"""``image-classification``: labels with scores for an image (ViT, ConvNeXt, ResNet…: ImageNet classes, or a
fine-tuned head's).

Answer: ``[{"label", "score"}, …]``, best first: the model's five best unless ``top_k`` (the Inference API's
and transformers' pipeline's default). The image is the raw body with its Content-Type, or base64 in
``inputs`` (with parameters); it is decoded by PIL where the model runs (:func:`hfgate.images.decode_image`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfgate.pipelines.base import Pipeline, PipelineRequest
from hfgate.pipelines.fields import Parameters, filtered
from hfgate.pipelines.files import InputFile, base64_of, file_input
from hfgate.pipelines.text_classification import FUNCTIONS
from hfgate.tasks import TaskType


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageClassification(PipelineRequest):
    image: InputFile
    top_k: int | None = None
    function_to_apply: str | None = None


class ImageClassificationPipeline(Pipeline[ImageClassification]):
    task = TaskType.IMAGE_CLASSIFICATION
    label = "Image classification"
    binary = True

    def request(self, inputs: Any, parameters: Mapping[str, Any]) -> ImageClassification:
        p = Parameters(parameters, accepted=("top_k", "function_to_apply"))
        return ImageClassification(
            image=file_input(inputs, kind="image"),
            top_k=p.integer("top_k"),
            function_to_apply=p.choice("function_to_apply", FUNCTIONS),
        )

    def payload(self, request: ImageClassification) -> dict[str, Any]:
        parameters = filtered({"top_k": request.top_k, "function_to_apply": request.function_to_apply})
        return {"inputs": base64_of(request.image), "parameters": parameters}

    def probe(self) -> tuple[Any, dict[str, Any]]:
        return InputFile(data=blank_png()), {}


def blank_png(size: int = 32) -> bytes:
    """A grey PNG of ``size`` × ``size`` pixels: what a create-time test call sends an image model."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (size, size), (128, 128, 128)).save(out, format="PNG")
    return out.getvalue()


PIPELINE = ImageClassificationPipeline()
