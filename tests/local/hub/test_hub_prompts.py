"""E5 presets prefix each text by what it is for (Elasticsearch's input_type), as they were trained:
``search`` gives sentence-transformers' vector of ``query: text``, ``ingest`` of ``passage: text``."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np

from hfgate.config import Settings
from tests.conftest import app_client
from tests.local.hub.conftest import MULTILINGUAL_E5, TINY_E5, wait_until_served
from tests.support.hub_models import tiny_bert_sentence_model
from tests.support.hub_server import TestHub

TEXTS = ["how do solar panels work", "Photovoltaic cells turn light into electricity."]


def reference(model_dir: Path, texts: list[str]) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    return np.asarray(SentenceTransformer(str(model_dir), device="cpu").encode(texts))


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


async def es_vectors(client: httpx.AsyncClient, inference_id: str, input_type: str | None) -> np.ndarray:
    body: dict[str, object] = {"input": TEXTS} | ({"input_type": input_type} if input_type else {})
    response = await client.post(f"/_inference/text_embedding/{inference_id}", json=body)
    assert response.status_code == 200, response.text
    return np.asarray([row["embedding"] for row in response.json()["text_embedding"]])


async def openai_vectors(client: httpx.AsyncClient, inference_id: str) -> np.ndarray:
    response = await client.post("/v1/embeddings", json={"model": inference_id, "input": TEXTS})
    assert response.status_code == 200, response.text
    return np.asarray([row["embedding"] for row in response.json()["data"]])


async def test_an_e5_preset_prefixes_search_as_query_and_ingest_as_passage(
    hub: TestHub, hub_settings: Settings, hub_models: dict[str, Path]
) -> None:
    hub.add(TINY_E5, hub_models["tiny"])  # the preset's id, tiny weights
    settings = {"model": "e5-small-v2", "engine": "torch"}  # the preset's short name
    async with app_client(hub_settings) as client:
        created = await client.put(
            "/_inference/text_embedding/e5", json={"service": "local", "service_settings": settings}
        )
        assert created.status_code == 200, created.text
        await wait_until_served(client, "e5")
        search, ingest = await es_vectors(client, "e5", "search"), await es_vectors(client, "e5", "ingest")
        plain, openai = await es_vectors(client, "e5", None), await openai_vectors(client, "e5")
    queries = reference(hub_models["tiny"], [f"query: {t}" for t in TEXTS])
    passages = reference(hub_models["tiny"], [f"passage: {t}" for t in TEXTS])
    assert cosines(search, queries).min() >= 0.9999
    assert cosines(ingest, passages).min() >= 0.9999
    assert cosines(plain, queries).min() >= 0.9999, "no input_type: query, E5's prefix for symmetric tasks"
    assert cosines(openai, queries).min() >= 0.9999
    assert cosines(search, passages).max() < 0.9999, "the prefixes make a difference on this model"


async def test_a_models_own_prompts_are_read_from_its_sentence_transformers_config(
    hub: TestHub, hub_settings: Settings, tmp_path: Path
) -> None:
    prompted = tiny_bert_sentence_model(tmp_path / "prompted", prompts={"query": "Q: ", "document": "D: "})
    hub.add("test-org/prompted", prompted)
    settings = {"model": "test-org/prompted", "engine": "torch"}
    async with app_client(hub_settings) as client:
        created = await client.put(
            "/_inference/text_embedding/p", json={"service": "local", "service_settings": settings}
        )
        assert created.status_code == 200, created.text
        await wait_until_served(client, "p")
        search, ingest = await es_vectors(client, "p", "search"), await es_vectors(client, "p", "ingest")
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(prompted), device="cpu")
    assert cosines(search, np.asarray(st.encode(TEXTS, prompt_name="query"))).min() >= 0.9999
    assert cosines(ingest, np.asarray(st.encode(TEXTS, prompt_name="document"))).min() >= 0.9999


async def test_a_multilingual_e5_preset_on_xlm_roberta_prefixes_by_input_type(
    hub: TestHub, hub_settings: Settings, hub_models: dict[str, Path]
) -> None:
    hub.add(MULTILINGUAL_E5, hub_models["xlmr"])
    settings = {"model": "multilingual-e5-small", "engine": "torch"}
    async with app_client(hub_settings) as client:
        body = {"service": "local", "service_settings": settings}
        created = await client.put("/_inference/text_embedding/me5", json=body)
        assert created.status_code == 200, created.text
        await wait_until_served(client, "me5")
        search, ingest = await es_vectors(client, "me5", "search"), await es_vectors(client, "me5", "ingest")
    assert cosines(search, reference(hub_models["xlmr"], [f"query: {t}" for t in TEXTS])).min() >= 0.9999
    assert cosines(ingest, reference(hub_models["xlmr"], [f"passage: {t}" for t in TEXTS])).min() >= 0.9999
