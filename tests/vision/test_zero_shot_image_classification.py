"""``zero-shot-image-classification`` on a ``local`` endpoint (a tiny CLIP) through ``InferenceClient``: each
answer equals transformers' own pipeline on the same weights (labels equal, scores within 1e-4), with the
default hypothesis and one of the request's; concurrent requests share passes and still answer alone's
answer; the same through ``hugging_face`` by url; no labels, bad labels and bad images are client errors
naming the field. A CLIP model keeps its embedding tasks besides this one."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfgate.local.catalog import ModelLocation
from hfgate.services.local.model_check import served_tasks
from hfgate.tasks import TaskType
from tests.vision.conftest import client
from tests.vision.tiny_vision import picture, pipeline_answer

TASK = "zero-shot-image-classification"
LABELS = ["cat", "dog", "car"]
TOLERANCE = 1e-4


def _same(ours: list[Any], theirs: list[dict[str, Any]]) -> None:
    assert [dict(row)["label"] for row in ours] == [row["label"] for row in theirs]
    for a, b in zip(ours, theirs, strict=True):
        assert abs(float(dict(a)["score"]) - b["score"]) <= TOLERANCE


@pytest.mark.parametrize("template", [None, "a picture of {}, taken today"])
def test_the_client_gets_the_pipelines_labels_and_scores(served: str, clip: Path, template: str | None) -> None:
    image = picture(1)
    options = {} if template is None else {"hypothesis_template": template}
    answer = client(served, "clip").zero_shot_image_classification(image, candidate_labels=LABELS, **options)
    _same(answer, pipeline_answer(clip, image, TASK, candidate_labels=LABELS, **options))


def test_concurrent_requests_answer_as_alone(served: str, clip: Path) -> None:
    images = [picture(seed, kind="JPEG") for seed in range(6)]
    labels = [LABELS, LABELS[:2], LABELS, ["espresso", "sports car"], LABELS, LABELS[:2]]

    def post(image: bytes, candidates: list[str]) -> Any:
        return client(served, "clip").zero_shot_image_classification(image, candidate_labels=candidates)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(post, images, labels))
    for image, candidates, answer in zip(images, labels, answers, strict=True):
        _same(answer, pipeline_answer(clip, image, TASK, candidate_labels=candidates))


def test_relayed_through_hugging_face_by_url_it_answers_as_the_local_endpoint(served: str) -> None:
    body = {"service": "hugging_face",
            "service_settings": {"url": f"{served}/hf/clip", "engine": "pipeline", "api_key": "hf_none"}}  # fmt: skip
    created = httpx.put(f"{served}/_inference/{TASK}/remote-clip", json=body, timeout=120)
    assert created.status_code == 200, created.text
    image = picture(7)
    remote = client(served, "remote-clip").zero_shot_image_classification(image, candidate_labels=LABELS)
    assert remote == client(served, "clip").zero_shot_image_classification(image, candidate_labels=LABELS)


def test_missing_or_bad_labels_and_bad_images_are_refused_naming_the_field(served: str) -> None:
    raw = httpx.post(f"{served}/hf/clip", content=picture(2), headers={"content-type": "image/png"}, timeout=60)
    assert raw.status_code == 422, raw.text
    assert "parameters.candidate_labels" in raw.text
    cases = [
        ({"candidate_labels": [1, 2]}, "parameters.candidate_labels"),
        ({"candidate_labels": LABELS, "hypothesis_template": "no slot"}, "parameters.hypothesis_template"),
        ({"candidate_labels": LABELS, "hypothesis_template": "a {} of {kind}"}, "parameters.hypothesis_template"),
        ({"candidate_labels": LABELS, "hypothesis_template": "a {} {"}, "parameters.hypothesis_template"),
        ({"candidate_labels": LABELS, "top_k": 2}, "parameters.top_k"),
    ]
    encoded = base64.b64encode(picture(2)).decode()
    for parameters, field in cases:
        answer = httpx.post(f"{served}/hf/clip", json={"inputs": encoded, "parameters": parameters}, timeout=60)
        assert answer.status_code == 422, answer.text
        assert field in answer.text
    too_long = httpx.post(
        f"{served}/hf/clip", json={"inputs": encoded, "parameters": {"candidate_labels": ["cat", "x" * 80]}}, timeout=60
    )
    assert too_long.status_code == 422, too_long.text
    assert "parameters.candidate_labels" in too_long.text
    not_image = base64.b64encode(b"not an image").decode()
    body = {"inputs": not_image, "parameters": {"candidate_labels": LABELS}}
    answer = httpx.post(f"{served}/hf/clip", json=body, timeout=60)
    assert answer.status_code == 422, answer.text
    assert "inputs" in answer.text


def test_a_clip_model_serves_its_embeddings_and_zero_shot_image_classification(clip: Path, tmp_path: Path) -> None:
    from tests.support.tiny_clip import save_tiny_clip

    raw = served_tasks(ModelLocation(model_id="clip", path=clip))
    assert TaskType.ZERO_SHOT_IMAGE_CLASSIFICATION in raw
    assert TaskType.TEXT_EMBEDDING in raw
    saved = served_tasks(ModelLocation(model_id="st-clip", path=save_tiny_clip(tmp_path)))
    assert {TaskType.TEXT_EMBEDDING, TaskType.SENTENCE_SIMILARITY, TaskType.ZERO_SHOT_IMAGE_CLASSIFICATION} <= saved


def test_a_model_that_is_not_image_and_text_is_refused_naming_what_it_needs(served: str, vit: Path) -> None:
    body = {"service": "local", "service_settings": {"model": str(vit)}}
    refused = httpx.put(f"{served}/_inference/{TASK}/nope", json=body, timeout=120)
    assert refused.status_code == 400, refused.text
    assert "image-and-text model" in refused.text


def test_a_strip_the_processor_would_blow_up_is_refused_before_it_is_resized(served: str) -> None:
    # 40,000 × 1 pixels is little as sent, but CLIP's processor scales the short side to 32: 41 million pixels
    strip = picture(5, size=(40_000, 1))
    body = {"inputs": base64.b64encode(strip).decode(), "parameters": {"candidate_labels": LABELS}}
    answer = httpx.post(f"{served}/hf/clip", json=body, timeout=60)
    assert answer.status_code == 422, answer.text
    assert "inputs" in answer.text
    assert "[40000x1]" in answer.text
    assert "crop it" in answer.text
