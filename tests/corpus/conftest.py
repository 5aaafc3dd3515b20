"""A registry with a chunking MiniLM endpoint, and small corpora with good and bad rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hfgate.config import Settings
from hfgate.services import ServiceContext
from tests.conftest import app_client

ENDPOINT = "corpus-minilm"
# Small chunks, so that long texts give several chunks each.
CHUNKING = {"strategy": "word", "max_chunk_size": 12, "overlap": 4}
TEXTS = [
    "Hugging Face hosts many models. Some turn text into vectors that let a search engine find passages by "
    "meaning rather than by words alone, which is why corpora are embedded when a search index is built.",
    "A short one.",
    "Cats often sleep on warm windowsills; a kitten naps in a basket by the fire while the rain falls outside.",
    "Stock markets fell sharply today after the announcement, and analysts expect more volatility this week.",
]


@pytest.fixture
def corpus_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", log_format="text", registry_cache_seconds=0, provision_defaults=False)


@pytest.fixture
async def endpoint(corpus_settings: Settings, shared_context: ServiceContext) -> str:
    """The job's endpoint, created through the API in the job's registry."""
    # fp32: an exact engine, whose vectors do not depend on which texts share a batch (bf16's do, ~1e-3).
    settings = {"model": "all-MiniLM-L6-v2", "engine": "torch"}
    body = {"service": "local", "service_settings": settings, "chunking_settings": CHUNKING}
    async with app_client(corpus_settings, shared_context) as http:
        response = await http.put(f"/_inference/text_embedding/{ENDPOINT}", json=body)
        assert response.status_code == 200, response.text
    return ENDPOINT


async def api_chunks(settings: Settings, context: ServiceContext, texts: list[str]) -> list[list[dict[str, object]]]:
    """What ``"chunked": true`` answers for ``texts`` on the same registry."""
    async with app_client(settings, context) as http:
        response = await http.post(f"/_inference/text_embedding/{ENDPOINT}", json={"input": texts, "chunked": True})
        assert response.status_code == 200, response.text
        return [item["chunks"] for item in response.json()["text_embedding"]]


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


__all__ = ["api_chunks", "write_jsonl"]
