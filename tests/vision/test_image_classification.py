"""``image-classification`` on a ``local`` endpoint (a tiny ViT) through ``InferenceClient`` and raw bodies:
each answer equals transformers' own pipeline on the same weights (labels equal, scores within 1e-4), with
``top_k`` and ``function_to_apply``; concurrent requests share passes and still answer alone's answer; the
same through ``hugging_face`` by url; bad images are client errors naming ``inputs`` (422, TEI's and the
Inference API's status for a field's value, as the other tasks on this face)."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.vision.conftest import client
from tests.vision.tiny_vision import picture, pipeline_answer

TOLERANCE = 1e-4


def _same(ours: list[Any], theirs: list[dict[str, Any]]) -> None:
    assert [dict(row)["label"] for row in ours] == [row["label"] for row in theirs]
    for a, b in zip(ours, theirs, strict=True):
        assert abs(float(dict(a)["score"]) - b["score"]) <= TOLERANCE


@pytest.mark.parametrize("options", [{}, {"top_k": 2}, {"function_to_apply": "sigmoid"}])
def test_the_client_gets_the_pipelines_labels_and_scores(served: str, vit: Path, options: dict[str, Any]) -> None:
    image = picture(1)
    answer = client(served, "img").image_classification(image, **options)
    _same(answer, pipeline_answer(vit, image, **options))


def test_a_raw_jpeg_body_and_concurrent_requests_answer_as_alone(served: str, vit: Path) -> None:
    images = [picture(seed, kind="JPEG") for seed in range(6)]

    def post(image: bytes) -> Any:
        answer = httpx.post(f"{served}/hf/img", content=image, headers={"content-type": "image/jpeg"}, timeout=60)
        assert answer.status_code == 200, answer.text
        return answer.json()

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(post, images))
    for image, answer in zip(images, answers, strict=True):
        _same(answer, pipeline_answer(vit, image))


def test_relayed_through_hugging_face_by_url_it_answers_as_the_local_endpoint(served: str) -> None:
    body = {"service": "hugging_face",
            "service_settings": {"url": f"{served}/hf/img", "engine": "pipeline", "api_key": "hf_none"}}  # fmt: skip
    created = httpx.put(f"{served}/_inference/image-classification/remote-img", json=body, timeout=120)
    assert created.status_code == 200, created.text
    image = picture(7)
    assert client(served, "remote-img").image_classification(image, top_k=3) == client(
        served, "img"
    ).image_classification(image, top_k=3)


def test_what_is_not_an_image_or_too_big_is_refused_naming_inputs(served: str) -> None:
    from PIL import Image

    huge = io.BytesIO()
    Image.new("RGB", (8000, 6000)).save(huge, format="PNG")  # 48 million pixels, a few KB of PNG
    for content in (b"not an image", picture(2)[:40], b"", huge.getvalue()):
        answer = httpx.post(f"{served}/hf/img", content=content, headers={"content-type": "image/png"}, timeout=60)
        assert answer.status_code == 422, answer.text
        assert "inputs" in answer.text
    assert "pixels" in answer.text
    bad = httpx.post(f"{served}/hf/img", json={"inputs": "@@@", "parameters": {"top_k": 2}}, timeout=60)
    assert bad.status_code in (400, 422), bad.text
    assert "base64" in bad.text


def test_a_model_without_an_image_head_is_refused_naming_what_it_serves(served: str) -> None:
    body = {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2"}}
    refused = httpx.put(f"{served}/_inference/image-classification/nope", json=body, timeout=120)
    assert refused.status_code == 400, refused.text
    assert "image classifier" in refused.text
