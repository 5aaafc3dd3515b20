"""Offline, hfgate serves from the cache and asks no one; a dropped download resumes where it stopped
(the hub sees a Range request); one whose process was killed starts again."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hfgate.config import Settings
from tests.conftest import app_client
from tests.local.hub.conftest import TINY, wait_until_served
from tests.support.hub_models import tiny_bert_sentence_model
from tests.support.hub_server import TestHub

CREATE = {"service": "local", "service_settings": {"model": TINY, "engine": "torch"}}


async def test_offline_an_endpoint_and_a_new_one_on_a_cached_model_are_served_without_asking_the_hub(
    hub: TestHub, hub_settings: Settings
) -> None:
    async with app_client(hub_settings) as client:
        assert (await client.put("/_inference/text_embedding/tiny", json=CREATE)).status_code == 200
        await wait_until_served(client, "tiny")
    asked = len(hub.seen)
    offline = hub_settings.model_copy(update={"hf_hub_offline": True, "hf_hub_url": "http://127.0.0.1:9"})
    async with app_client(offline) as client:
        await wait_until_served(client, "tiny")
        again = await client.put("/_inference/text_embedding/again", json=CREATE)
        assert again.status_code == 200, again.text
        assert again.json()["service_settings"]["commit"] == hub.repos[TINY].refs["main"]
        await wait_until_served(client, "again")
        missing = await client.put(
            "/_inference/text_embedding/missing",
            json={"service": "local", "service_settings": {"model": "test-org/other"}},
        )
    assert len(hub.seen) == asked
    assert missing.status_code == 400
    assert "not in the Hugging Face cache" in missing.json()["error"]["reason"]
    assert "hfgate pull test-org/other" in missing.json()["error"]["reason"]


async def test_a_dropped_connection_resumes_with_a_range_request_from_the_last_byte_written(
    hub: TestHub, hub_settings: Settings, tmp_path: Path
) -> None:
    """huggingface_hub takes a dropped download up again from the last byte it wrote (``file_download.py``
    ``http_get``: ``resume_size``, ``Range``); it writes in 10 MB pieces (``constants.DOWNLOAD_CHUNK_SIZE``),
    so the weights here are 12 MB and the cut comes 1 MiB before their end."""
    hub.add("test-org/wide-bert", tiny_bert_sentence_model(tmp_path / "wide", hidden_size=96))
    hub.cut_once.add("model.safetensors")
    body = {"service": "local", "service_settings": {"model": "test-org/wide-bert", "engine": "torch"}}
    async with app_client(hub_settings) as client:
        assert (await client.put("/_inference/text_embedding/wide", json=body)).status_code == 200
        await wait_until_served(client, "wide")
    first, second = hub.gets("/model.safetensors")
    assert first.range is None
    assert second.range == f"bytes={10 * 2**20}-"


async def test_a_download_whose_process_was_killed_starts_again_and_completes(
    hub: TestHub, hub_settings: Settings, hub_models: dict[str, Path]
) -> None:
    """Across processes huggingface_hub 2.x does not resume: each download writes to a file of its own
    (``file_download.py`` ``_download_to_tmp_and_move``, huggingface_hub PR #4228), so what a killed
    process left is not read; the next fetch starts from the first byte and the model is served."""
    weights = (hub_models["tiny"] / "model.safetensors").read_bytes()
    assert hub_settings.hf_hub_cache is not None
    blobs = hub_settings.hf_hub_cache / "models--test-org--tiny-bert" / "blobs"
    blobs.mkdir(parents=True)
    left = blobs / f"{hashlib.sha256(weights).hexdigest()}.0badc0de.incomplete"
    left.write_bytes(weights[: len(weights) // 2])  # what a kill leaves
    async with app_client(hub_settings) as client:
        assert (await client.put("/_inference/text_embedding/tiny", json=CREATE)).status_code == 200
        await wait_until_served(client, "tiny")
    (only,) = hub.gets("/model.safetensors")
    assert only.range is None
