"""``zero-shot-image-classification``: an image scored against labels given with the request, by an
image-and-text model (CLIP, SigLIP): each label becomes the text "This is a photo of {label}." and the
image's similarity to each text, softmaxed over the labels (SigLIP: each one's sigmoid), is its score.

Answer: ``[{"label", "score"}, …]``, best first (the Inference API's, and transformers' pipeline's, shape).
The image comes as ``image-classification``'s does; without parameters there are no labels, so it is base64
in ``inputs`` with ``candidate_labels`` (what ``InferenceClient`` sends).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfgate.pipelines.base import Pipeline, PipelineRequest
from hfgate.pipelines.fields import Parameters
from hfgate.pipelines.files import InputFile, base64_of, file_input
from hfgate.pipelines.image_classification import blank_png
from hfgate.tasks import TaskType

DEFAULT_TEMPLATE = "This is a photo of {}."
"""transformers' pipeline's, and so the Inference API's, default hypothesis."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ZeroShotImageClassification(PipelineRequest):
    image: InputFile
    candidate_labels: tuple[str, ...]
    hypothesis_template: str = DEFAULT_TEMPLATE


class ZeroShotImageClassificationPipeline(Pipeline[ZeroShotImageClassification]):
    task = TaskType.ZERO_SHOT_IMAGE_CLASSIFICATION
    label = "Zero-shot image classification"
    binary = True

    def request(self, inputs: Any, parameters: Mapping[str, Any]) -> ZeroShotImageClassification:
        p = Parameters(parameters, accepted=("candidate_labels", "hypothesis_template"))
        labels = p.strings("candidate_labels")
        if labels is None:
            raise Parameters.invalid(
                "candidate_labels", "is required: the labels to score the image against (send the image as base64 "
                "in `inputs` with `parameters`)"
            )  # fmt: skip
        template = p.string("hypothesis_template") or DEFAULT_TEMPLATE
        if "{}" not in template or not _formats(template):
            raise Parameters.invalid(
                "hypothesis_template", f"must hold {{}} where each label goes and no other braces, got [{template}]"
            )
        return ZeroShotImageClassification(
            image=file_input(inputs, kind="image"), candidate_labels=labels, hypothesis_template=template
        )

    def payload(self, request: ZeroShotImageClassification) -> dict[str, Any]:
        parameters = {
            "candidate_labels": list(request.candidate_labels),
            "hypothesis_template": request.hypothesis_template,
        }
        return {"inputs": base64_of(request.image), "parameters": parameters}

    def probe(self) -> tuple[Any, dict[str, Any]]:
        return InputFile(data=blank_png()), {"candidate_labels": ["a cat", "a dog"]}


def _formats(template: str) -> bool:
    """Whether ``template.format(label)`` works (no other ``{name}`` or ``{0}`` fields, no lone brace)."""
    try:
        template.format("label")
    except (IndexError, KeyError, ValueError):
        return False
    return True


PIPELINE = ZeroShotImageClassificationPipeline()
