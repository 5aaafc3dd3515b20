"""A Hub model for one of the Hub's tasks, by its id: fetched, pinned and served like an embedding model; a
create that leaves the task type out gets the one the Hub files the model under (its ``pipeline_tag``)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from transformers import pipeline

from hfgate.config import Settings
from tests.conftest import app_client
from tests.pipelines.tiny_models import TinyModels, build, tone_wav
from tests.support.hub_server import TestHub

NER, KWS, UNTAGGED = "test-org/tiny-ner", "test-org/tiny-keywords", "test-org/tiny-untagged"
TEXT = "Marie Curie lived in Paris and worked there."


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    return build(tmp_path_factory.mktemp("tiny-task-models"))


async def _served(client: httpx.AsyncClient, inference_id: str, **kwargs: object) -> httpx.Response:
    """The endpoint's answer once its model is downloaded (503 with Retry-After until then)."""
    deadline = time.monotonic() + 60
    while True:
        response = await client.post(f"/hf/{inference_id}", **kwargs)  # type: ignore[arg-type]
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        assert response.headers.get("retry-after")
        assert response.json()["error_type"] == "unhealthy"  # as TEI says it
        await asyncio.sleep(0.1)


async def test_a_task_model_by_hub_id_takes_its_task_from_the_hub_and_answers_as_the_pipeline(
    hub: TestHub, hub_settings: Settings, tiny: TinyModels
) -> None:
    hub.add(NER, tiny.ner, pipeline_tag="token-classification")
    hub.add(KWS, tiny.audio_classifier, pipeline_tag="audio-classification")
    async with app_client(hub_settings) as client:
        for inference_id, model in (("ner", NER), ("kws", KWS)):
            created = await client.put(
                f"/_inference/{inference_id}", json={"service": "local", "service_settings": {"model": model}}
            )
            assert created.status_code == 200, created.text
        listed = (await client.get("/_inference/ner")).json()["endpoints"][0]
        assert listed["task_type"] == "token-classification"
        assert listed["service_settings"]["commit"] == hub.repos[NER].refs["main"]
        answer = await _served(client, "ner", json={"inputs": TEXT})
        assert answer.status_code == 200, answer.text
        heard = await _served(client, "kws", content=tone_wav(1.0), headers={"content-type": "audio/wav"})
        assert heard.status_code == 200, heard.text
    theirs = pipeline("token-classification", model=str(tiny.ner), aggregation_strategy="simple")(TEXT)
    assert [(e["entity_group"], e["start"], e["end"]) for e in answer.json()] == [
        (e["entity_group"], e["start"], e["end"]) for e in theirs
    ]
    assert _fetched(hub_settings, NER).exists()


def _fetched(settings: Settings, repo: str) -> Path:
    return settings.hf_hub_cache / f"models--{repo.replace('/', '--')}"


async def test_a_model_the_hub_tags_with_no_served_task_needs_one(
    hub: TestHub, hub_settings: Settings, tiny: TinyModels
) -> None:
    hub.add(UNTAGGED, tiny.classifier)
    async with app_client(hub_settings) as client:
        refused = await client.put(
            "/_inference/untagged", json={"service": "local", "service_settings": {"model": UNTAGGED}}
        )
        assert refused.status_code == 400, refused.text
        assert "[task_type] is required" in refused.text
        assert "pipeline_tag" in refused.text
        wrong = await client.put(
            "/_inference/token-classification/wrong", json={"service": "local", "service_settings": {"model": UNTAGGED}}
        )
        assert wrong.status_code == 400
        assert "serves task type [rerank, text-classification]" in wrong.text
