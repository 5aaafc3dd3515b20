"""A warm endpoint's request reads no file: where its model is was found once, when it was first used.

Every file-system call of the request is counted (:mod:`tests.support.file_calls`)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hfgate.config import Settings
from hfgate.local.cache import ModelCache
from tests.conftest import app_client
from tests.local.generation.tiny_models import save_tiny_llama
from tests.local.hub.conftest import TINY, wait_until_served
from tests.support.file_calls import FileCalls
from tests.support.file_calls import file_calls as the_file_calls
from tests.support.hub_server import TestHub
from tests.support.waiting import until_true

pytestmark = pytest.mark.slow  # loads two models

LLAMA = "test-org/tiny-llama"


@pytest.fixture(scope="module")
def file_calls() -> FileCalls:
    return the_file_calls()


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = save_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


async def test_warm_embedding_and_chat_requests_read_no_file(
    hub: TestHub, hub_settings: Settings, tiny_llama: Path, file_calls: FileCalls
) -> None:
    hub.add(LLAMA, tiny_llama)
    chat = {"model": "llm", "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 2}
    async with app_client(hub_settings) as client:
        for task, name, model in (("text_embedding", "tiny", TINY), ("chat_completion", "llm", LLAMA)):
            settings = {"model": model, "engine": "torch" if task == "text_embedding" else "transformers"}
            created = await client.put(
                f"/_inference/{task}/{name}", json={"service": "local", "service_settings": settings}
            )
            assert created.status_code == 200, created.text
        await wait_until_served(client, "tiny")

        async def chat_loaded() -> bool:  # the chat model loads after its download
            return (await client.post("/v1/chat/completions", json=chat)).status_code != 503

        await until_true(chat_loaded, within=60, what="the chat model's load")
        warm = await client.post("/v1/chat/completions", json=chat)
        assert warm.status_code == 200, warm.text
        with file_calls.counting() as calls:
            embedded = await client.post("/_inference/text_embedding/tiny", json={"input": ["Warm now."]})
            chatted = await client.post("/v1/chat/completions", json=chat)
        assert embedded.status_code == 200, embedded.text
        assert chatted.status_code == 200, chatted.text
        assert calls == []

        with file_calls.counting() as calls:  # what a first lookup reads, counted the same way
            again = {"service": "local", "service_settings": {"model": TINY, "engine": "torch"}}
            made = await client.put("/_inference/text_embedding/again", json=again)
        assert made.status_code == 200, made.text
        assert any(TINY.replace("/", "--") in path for _, path in calls), calls


async def test_a_model_folder_removed_while_it_was_kept_is_fetched_again_at_the_next_load(
    hub: TestHub, hub_settings: Settings
) -> None:
    made = app_client(hub_settings)
    async with made as client:
        settings = {"model": TINY, "engine": "torch"}
        body = {"service": "local", "service_settings": settings}
        assert (await client.put("/_inference/text_embedding/tiny", json=body)).status_code == 200
        await wait_until_served(client, "tiny")
        cache = made.app.state.runtime.context.shared(ModelCache)
        for key in cache.loaded():  # evicted, as the model cache does past its budget
            cache.release(key)
        shutil.rmtree(hub_settings.hf_hub_cache / f"models--{TINY.replace('/', '--')}")
        again = await client.post("/_inference/text_embedding/tiny", json={"input": ["Where did it go?"]})
        assert again.status_code == 503, again.text  # downloading again, not a failed load
        assert "is downloading" in again.json()["error"]["reason"]
        await wait_until_served(client, "tiny")
