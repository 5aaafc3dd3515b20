"""What the real-engine tests share: registering a server by url, and comparing vectors."""

from __future__ import annotations

import math
from typing import Any

import httpx

from tests.support.engine_servers import MINILM

TOLERANCE = 1e-6


async def register(api: httpx.AsyncClient, task: str, name: str, **settings: Any) -> httpx.Response:
    """Create a ``hugging_face`` endpoint; asserts it was created."""
    body: dict[str, Any] = {"service": "hugging_face", "service_settings": {"api_key": "unused", **settings}}
    created = await api.put(f"/_inference/{task}/{name}", json=body)
    assert created.status_code == 200, created.text
    return created


async def engine_vectors(engine: httpx.AsyncClient, url: str, texts: list[str], **extra: Any) -> list[list[float]]:
    """The engine's own OpenAI-shaped embeddings of ``texts``."""
    answer = await engine.post(url, json={"model": MINILM, "input": texts, **extra})
    assert answer.status_code == 200, answer.text
    return [item["embedding"] for item in sorted(answer.json()["data"], key=lambda item: item["index"])]


def assert_close(ours: list[list[float]], theirs: list[list[float]]) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert len(a) == len(b)
        assert max(abs(x - y) for x, y in zip(a, b, strict=True)) <= TOLERANCE


def norm(vector: list[float]) -> float:
    return math.sqrt(sum(x * x for x in vector))


def document(sentences: int) -> str:
    """An ordinary document: ``sentences`` plain English sentences (~15 tokens each)."""
    return " ".join(
        f"Sentence number {i} says that the quick brown fox jumps over the lazy dog." for i in range(sentences)
    )
