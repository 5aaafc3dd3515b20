"""A test Hub on 127.0.0.1 serving small real models, and settings that point hfgate at it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfgate.config import Settings
from tests.support.hub_models import custom_code_model, minilm_files, tiny_bert_sentence_model, tiny_xlmr_sentence_model
from tests.support.hub_server import TestHub, serve_hub

TINY = "test-org/tiny-bert"
TINY_E5 = "intfloat/e5-small-v2"  # a preset's id, served by the test hub with tiny weights
CUSTOM = "test-org/custom-code"
MULTILINGUAL_E5 = "intfloat/multilingual-e5-small"  # a preset, served with a tiny XLM-R
MINILM_L12 = "sentence-transformers/all-MiniLM-L12-v2"  # a preset, served with the packaged MiniLM-L6's files


@pytest.fixture(scope="session")
def hub_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The models the test hub publishes, built once per session (random weights, real architectures)."""
    root = tmp_path_factory.mktemp("hub-models")
    return {
        "tiny": tiny_bert_sentence_model(root / "tiny"),
        "tiny-v2": tiny_bert_sentence_model(root / "tiny-v2", seed=1),
        "custom": custom_code_model(root / "custom"),
        "xlmr": tiny_xlmr_sentence_model(root / "xlmr"),
        "minilm": minilm_files(),
    }


@pytest.fixture(autouse=True)
def hub_reachable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite sets HF_HUB_OFFLINE=1 (tests/conftest.py), which huggingface_hub read at import and
    enforces on every request (``utils/_http.py`` ``hf_request_event_hook``); these tests ask only the
    hub on 127.0.0.1, so huggingface_hub may send requests here."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)


@pytest.fixture
def hub(hub_models: dict[str, Path]) -> Iterator[TestHub]:
    """A fresh test hub (its request log empty) with ``test-org/tiny-bert`` and a custom-code model."""
    test_hub = TestHub()
    test_hub.add(TINY, hub_models["tiny"])
    test_hub.add(CUSTOM, hub_models["custom"])
    with serve_hub(test_hub):
        yield test_hub


@pytest.fixture
def hub_settings(tmp_path: Path, hub: TestHub) -> Settings:
    """hfgate pointed at the test hub, with a Hugging Face cache of its own."""
    return Settings(
        data_dir=tmp_path / "data",
        log_format="text",
        registry_cache_seconds=0,
        hf_hub_url=hub.url,
        hf_hub_cache=tmp_path / "hf-cache",
        hf_hub_offline=False,
        hf_token=None,
    )


async def wait_until_served(client: httpx.AsyncClient, inference_id: str, *, seconds: float = 60) -> dict[str, Any]:
    """Embed one text on ``inference_id`` until it answers (503s while its model downloads)."""
    deadline = time.monotonic() + seconds
    while True:
        response = await client.post(f"/_inference/text_embedding/{inference_id}", json={"input": ["ready?"]})
        if response.status_code != 503 or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body
        await asyncio.sleep(0.1)
