"""``object-detection``: the objects in an image, each a label, a score and a box in the image's pixels
(DETR, YOLOS, Conditional/Deformable DETR, RT-DETR…: COCO's classes, or a fine-tuned head's).

Answer: ``[{"label", "score", "box": {"xmin", "ymin", "xmax", "ymax"}}, …]``: every detection scoring above
``threshold`` (0.5 unless given, the Inference API's and transformers' pipeline's default), in the model's
order. The image comes as ``image-classification``'s does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfgate.pipelines.base import Pipeline, PipelineRequest
from hfgate.pipelines.fields import Parameters, filtered
from hfgate.pipelines.files import InputFile, base64_of, file_input
from hfgate.pipelines.image_classification import blank_png
from hfgate.tasks import TaskType


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectDetection(PipelineRequest):
    image: InputFile
    threshold: float | None = None


class ObjectDetectionPipeline(Pipeline[ObjectDetection]):
    task = TaskType.OBJECT_DETECTION
    label = "Object detection"
    binary = True

    def request(self, inputs: Any, parameters: Mapping[str, Any]) -> ObjectDetection:
        p = Parameters(parameters, accepted=("threshold",))
        threshold = p.number("threshold")
        if threshold is not None and threshold > 1:
            raise Parameters.invalid("threshold", f"must be a score between 0 and 1, got [{threshold!r}]")
        return ObjectDetection(image=file_input(inputs, kind="image"), threshold=threshold)

    def payload(self, request: ObjectDetection) -> dict[str, Any]:
        return {"inputs": base64_of(request.image), "parameters": filtered({"threshold": request.threshold})}

    def probe(self) -> tuple[Any, dict[str, Any]]:
        return InputFile(data=blank_png()), {}


PIPELINE = ObjectDetectionPipeline()
