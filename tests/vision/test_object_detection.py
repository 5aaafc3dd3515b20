"""``object-detection`` on a ``local`` endpoint (a tiny YOLOS) through ``InferenceClient``: each answer equals
transformers' own pipeline on the same weights (labels and boxes equal, scores within 1e-4) at the default
threshold and a given one; concurrent requests of different sizes and aspects (batched by size) answer as
alone; the same through ``hugging_face`` by url; bad thresholds and bad images are client errors naming the
field."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.vision.conftest import client
from tests.vision.tiny_vision import picture, pipeline_answer

TASK = "object-detection"
TOLERANCE = 1e-4


def _same(ours: list[Any], theirs: list[dict[str, Any]]) -> None:
    assert theirs, "the tiny detector should find something above the threshold"
    assert [dict(row)["label"] for row in ours] == [row["label"] for row in theirs]
    for a, b in zip(ours, theirs, strict=True):
        box = dict(a)["box"]
        assert {k: dict(box)[k] for k in ("xmin", "ymin", "xmax", "ymax")} == b["box"]
        assert abs(float(dict(a)["score"]) - b["score"]) <= TOLERANCE


def _plain(rows: list[Any]) -> list[dict[str, Any]]:
    return [{"label": r.label, "score": r.score, "box": dict(vars(r.box))} for r in rows]


@pytest.mark.parametrize("threshold", [None, 0.2])
def test_the_client_gets_the_pipelines_labels_boxes_and_scores(
    served: str, yolos: Path, threshold: float | None
) -> None:
    image = picture(1)
    options = {} if threshold is None else {"threshold": threshold}
    answer = client(served, "det").object_detection(image, **options)
    _same(answer, pipeline_answer(yolos, image, TASK, **options))


def test_concurrent_images_of_several_sizes_answer_as_alone(served: str, yolos: Path) -> None:
    sizes = [(48, 40), (100, 30), (48, 40), (30, 90), (64, 64), (100, 30)]
    images = [picture(seed, size=size, kind="JPEG") for seed, size in enumerate(sizes)]

    def post(image: bytes) -> Any:
        answer = httpx.post(f"{served}/hf/det", content=image, headers={"content-type": "image/jpeg"}, timeout=60)
        assert answer.status_code == 200, answer.text
        return answer.json()

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(post, images))
    for image, answer in zip(images, answers, strict=True):
        _same(answer, pipeline_answer(yolos, image, TASK))


def test_relayed_through_hugging_face_by_url_it_answers_as_the_local_endpoint(served: str) -> None:
    body = {"service": "hugging_face",
            "service_settings": {"url": f"{served}/hf/det", "engine": "pipeline", "api_key": "hf_none"}}  # fmt: skip
    created = httpx.put(f"{served}/_inference/{TASK}/remote-det", json=body, timeout=120)
    assert created.status_code == 200, created.text
    image = picture(7)
    remote = client(served, "remote-det").object_detection(image, threshold=0.3)
    assert _plain(remote) == _plain(client(served, "det").object_detection(image, threshold=0.3))


def test_bad_thresholds_and_bad_images_are_refused_naming_the_field(served: str) -> None:
    encoded = base64.b64encode(picture(2)).decode()
    for threshold in (-0.1, 1.5, "high", True):
        body = {"inputs": encoded, "parameters": {"threshold": threshold}}
        answer = httpx.post(f"{served}/hf/det", json=body, timeout=60)
        assert answer.status_code == 422, answer.text
        assert "parameters.threshold" in answer.text
    for content in (b"not an image", picture(2)[:40], b""):
        answer = httpx.post(f"{served}/hf/det", content=content, headers={"content-type": "image/png"}, timeout=60)
        assert answer.status_code == 422, answer.text
        assert "inputs" in answer.text


def test_a_model_without_a_detection_head_is_refused_naming_what_it_needs(served: str, vit: Path) -> None:
    body = {"service": "local", "service_settings": {"model": str(vit)}}
    refused = httpx.put(f"{served}/_inference/{TASK}/nope", json=body, timeout=120)
    assert refused.status_code == 400, refused.text
    assert "object detector" in refused.text


def test_a_one_pixel_image_is_answered_and_a_thread_thin_one_is_refused_as_the_pipeline_fails_it(
    served: str, yolos: Path
) -> None:
    dot = picture(4, size=(1, 1))
    answer = httpx.post(f"{served}/hf/det", content=dot, headers={"content-type": "image/png"}, timeout=60)
    assert answer.status_code == 200, answer.text
    theirs = pipeline_answer(yolos, dot, TASK)
    if theirs:
        _same(answer.json(), theirs)
    else:
        assert answer.json() == []
    for size in ((3000, 2), (2, 3000)):  # resized to no pixels at all on one side: transformers' pipeline raises
        thin = picture(4, size=size)
        with pytest.raises(ValueError, match="Size must contain"):
            pipeline_answer(yolos, thin, TASK)
        answer = httpx.post(f"{served}/hf/det", content=thin, headers={"content-type": "image/png"}, timeout=60)
        assert answer.status_code == 422, answer.text
        assert "could not run this input" in answer.text
    _same(client(served, "det").object_detection(picture(1)), pipeline_answer(yolos, picture(1), TASK))


@pytest.mark.parametrize(
    ("width", "height", "size", "pixels"),
    [
        (640, 480, {"height": 224, "width": 224}, 224 * 224),  # ViT: a fixed size
        (640, 480, {"shortest_edge": 224}, 299 * 224),  # CLIP: the short side to 224
        (40_000, 1, {"shortest_edge": 224}, 8_960_000 * 224),
        (4000, 1000, {"shortest_edge": 800, "longest_edge": 1333}, 1333 * 333),  # DETR: the long side capped
        (640, 480, {}, 640 * 480),
    ],
)
def test_what_a_processor_makes_of_an_image_is_counted_before_it_runs(
    width: int, height: int, size: dict[str, int], pixels: int
) -> None:
    from hfgate.local.pipelines.vision import resized_pixels

    assert resized_pixels(width, height, size) == pixels


def test_a_detr_whose_backbone_needs_timm_is_refused_at_create_naming_the_model(served: str, tmp_path: Path) -> None:
    # facebook/detr-resnet-50's layout: a timm ResNet; timm is not installed (the weights here are a stand-in)
    import torch
    from safetensors.torch import save_file
    from transformers import DetrConfig, DetrImageProcessor

    DetrConfig(use_timm_backbone=True, backbone="resnet18", use_pretrained_backbone=False, d_model=32,
               encoder_layers=1, decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
               encoder_ffn_dim=32, decoder_ffn_dim=32, num_queries=5,
               architectures=["DetrForObjectDetection"]).save_pretrained(tmp_path)  # fmt: skip
    DetrImageProcessor().save_pretrained(tmp_path)
    save_file({"stand_in": torch.zeros(1)}, str(tmp_path / "model.safetensors"), metadata={"format": "pt"})
    body = {"service": "local", "service_settings": {"model": str(tmp_path)}}
    refused = httpx.put(f"{served}/_inference/{TASK}/detr", json=body, timeout=120)
    assert refused.status_code == 400, refused.text
    assert "timm" in refused.text
    assert "hustvl/yolos-small" in refused.text


def test_a_detectors_batch_is_one_pipeline_call_per_image_size_and_keeps_each_requests_place() -> None:
    from PIL import Image

    from hfgate.local.pipelines.vision import ObjectDetector

    calls: list[list[tuple[int, int]]] = []

    def pipe(images: list[Any], *, batch_size: int, **parameters: Any) -> list[Any]:
        assert batch_size == len(images)
        assert parameters == {"threshold": 0.3}
        calls.append([image.size for image in images])
        return [[{"label": f"{image.size}", "score": 1.0, "box": {}}] for image in images]

    detector = object.__new__(ObjectDetector)
    detector.pipe = pipe
    sizes = [(48, 40), (100, 30), (48, 40), (30, 90), (100, 30), (48, 40)]
    outputs = detector.compute_batch([Image.new("RGB", size) for size in sizes], {"threshold": 0.3})
    assert [output[0]["label"] for output in outputs] == [f"{size}" for size in sizes]
    assert sorted(calls) == [[(30, 90)], [(48, 40)] * 3, [(100, 30)] * 2]
