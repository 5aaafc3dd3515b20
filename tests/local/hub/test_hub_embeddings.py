"""A Hub model id is enough: fetched from the (test) Hub, pinned to its commit, served exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hfgate.config import Settings
from tests.conftest import app_client
from tests.local.hub.conftest import MINILM_L12, TINY, wait_until_served
from tests.support.hub_server import TestHub

TEXTS = ["The quick brown fox.", "Une phrase en français, plus longue que la première."]


def reference(model_dir: Path, texts: list[str]) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    return np.asarray(SentenceTransformer(str(model_dir), device="cpu").encode(texts))


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


async def embed(client: object, inference_id: str) -> np.ndarray:
    response = await client.post(f"/_inference/text_embedding/{inference_id}", json={"input": TEXTS})  # type: ignore[attr-defined]
    assert response.status_code == 200, response.text
    return np.asarray([row["embedding"] for row in response.json()["text_embedding"]])


async def test_a_hub_model_id_is_fetched_pinned_and_gives_sentence_transformers_vectors(
    hub: TestHub, hub_settings: Settings, hub_models: dict[str, Path]
) -> None:
    async with app_client(hub_settings) as client:
        created = await client.put(
            "/_inference/text_embedding/tiny",
            json={"service": "local", "service_settings": {"model": TINY, "engine": "torch"}},
        )
        assert created.status_code == 200, created.text
        commit = hub.repos[TINY].refs["main"]
        assert created.json()["service_settings"]["commit"] == commit
        await wait_until_served(client, "tiny")
        vectors = await embed(client, "tiny")
    assert cosines(vectors, reference(hub_models["tiny"], TEXTS)).min() >= 0.9999
    assert (
        hub_settings.hf_hub_cache / "models--test-org--tiny-bert" / "snapshots" / commit / "model.safetensors"
    ).exists()
    assert not hub.gets("/README.md"), "only the files a loader needs are fetched"

    hub.add(TINY, hub_models["tiny-v2"])  # main moves on; the endpoint keeps its commit
    async with app_client(hub_settings) as client:
        after_restart = await embed(client, "tiny")
        listed = (await client.get("/_inference/tiny")).json()["endpoints"][0]["service_settings"]
    assert listed["commit"] == commit
    assert cosines(after_restart, vectors).min() >= 0.9999


async def test_a_revision_by_branch_or_commit_is_recorded_as_its_commit_and_served(
    hub: TestHub, hub_settings: Settings, hub_models: dict[str, Path]
) -> None:
    first = hub.repos[TINY].refs["main"]
    second = hub.add(TINY, hub_models["tiny-v2"], branch="v2")
    async with app_client(hub_settings) as client:
        for inference_id, revision, commit in (("by-branch", "v2", second), ("by-commit", first, first)):
            settings = {"model": TINY, "revision": revision, "engine": "torch"}
            created = await client.put(
                f"/_inference/text_embedding/{inference_id}", json={"service": "local", "service_settings": settings}
            )
            assert created.status_code == 200, created.text
            assert created.json()["service_settings"]["commit"] == commit
            await wait_until_served(client, inference_id)
        by_branch, by_commit = await embed(client, "by-branch"), await embed(client, "by-commit")
    assert cosines(by_branch, reference(hub_models["tiny-v2"], TEXTS)).min() >= 0.9999
    assert cosines(by_commit, reference(hub_models["tiny"], TEXTS)).min() >= 0.9999


async def test_the_minilm_l12_preset_is_fetched_by_its_short_name_and_gives_sentence_transformers_vectors(
    hub: TestHub, hub_settings: Settings, hub_models: dict[str, Path]
) -> None:
    hub.add(MINILM_L12, hub_models["minilm"])  # the packaged MiniLM-L6's real files under the preset's id
    async with app_client(hub_settings) as client:
        body = {"service": "local", "service_settings": {"model": "all-MiniLM-L12-v2", "engine": "torch"}}
        created = await client.put("/_inference/text_embedding/minilm", json=body)
        assert created.status_code == 200, created.text
        await wait_until_served(client, "minilm")
        vectors = await embed(client, "minilm")
    assert cosines(vectors, reference(hub_models["minilm"], TEXTS)).min() >= 0.9999
    assert not hub.gets("/data_config.json"), "files no loader reads stay on the Hub"
