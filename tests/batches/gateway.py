"""A keyed hfgate in-process whose ``words`` endpoint counts every text it embeds (the fast fake service), and
the ``openai`` SDK talking to it: what the Files and Batches tests of the fast tier drive."""

from __future__ import annotations

import asyncio
import io
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import openai
import orjson
from openai.types import Batch

from hfgate.config import Settings
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import EmbeddingResult, EmbedRequest
from tests.conftest import app_client
from tests.fakes.service import FakeModel, FakeService

BOOT = {"Authorization": "Bearer boot"}
URL = "/v1/embeddings"
OVER = ("completed", "failed", "cancelled", "expired")


class CountingService(FakeService):
    """The fake service, counting each text its endpoints embed and taking ``delay`` seconds per request."""

    name = "counting"
    calls: ClassVar[Counter[str]] = Counter()
    delay: ClassVar[float] = 0.0

    def open(self, endpoint: Endpoint) -> FakeModel:
        return CountingModel(self, endpoint)


class CountingModel(FakeModel):
    async def embed(self, request: EmbedRequest) -> EmbeddingResult:
        CountingService.calls.update(request.texts)
        await asyncio.sleep(CountingService.delay)
        return await super().embed(request)


@dataclass
class Gateway:
    http: httpx.AsyncClient
    sdk: openai.AsyncOpenAI
    other: openai.AsyncOpenAI
    app: Any = None
    """The app itself, for a client of another HTTP library (the ``anthropic`` SDK's ``httpx2``)."""


def keyed_settings(data_dir: Any, **overrides: Any) -> Settings:
    return Settings(data_dir=data_dir, api_keys=["boot"], log_format="text", log_level="warning",  # type: ignore[arg-type]
                    registry_cache_seconds=0, provision_defaults=False, preload_models=False,
                    batch_poll_seconds=0.02, **overrides)  # fmt: skip


@asynccontextmanager
async def gateway(settings: Settings, *, first: bool = True) -> AsyncIterator[Gateway]:
    """The app started on ``settings``; on ``first`` start the ``words`` endpoint and two keys are made."""
    serving = app_client(settings)
    async with serving as http:
        if first:
            made = await http.put("/_inference/text_embedding/words", headers=BOOT,
                                  json={"service": "counting", "service_settings": {"model": "words"}})  # fmt: skip
            assert made.status_code == 200, made.text
        keys = [await _key(http, name) for name in ("one", "other")] if first else _KEYS[settings.data_dir]
        _KEYS[settings.data_dir] = keys
        transport = httpx.ASGITransport(app=serving.app)
        sdks = [openai.AsyncOpenAI(base_url="http://hfgate/v1", api_key=key, max_retries=0,
                                   http_client=httpx.AsyncClient(transport=transport, base_url="http://hfgate"))
                for key in keys]  # fmt: skip
        try:
            yield Gateway(http, *sdks, app=serving.app)
        finally:
            for sdk in sdks:
                await sdk.close()


_KEYS: dict[Any, list[str]] = {}


async def _key(http: httpx.AsyncClient, name: str) -> str:
    made = await http.post("/_security/api_key", json={"name": name, "roles": ["infer"]}, headers=BOOT)
    assert made.status_code == 200, made.text
    return str(made.json()["encoded"])


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(row) + b"\n" for row in rows)


def embedding_lines(texts: list[str], *, model: str = "words") -> bytes:
    return jsonl([{"custom_id": f"c{n}", "method": "POST", "url": URL, "body": {"model": model, "input": text}}
                  for n, text in enumerate(texts)])  # fmt: skip


async def upload(sdk: openai.AsyncOpenAI, content: bytes) -> str:
    made = await sdk.files.create(file=("in.jsonl", io.BytesIO(content)), purpose="batch")
    return made.id


async def finished(sdk: openai.AsyncOpenAI, batch_id: str, *, within: float = 30.0) -> Batch:
    """The batch once it is over (completed, failed, cancelled, expired)."""
    deadline = time.monotonic() + within
    while (batch := await sdk.batches.retrieve(batch_id)).status not in OVER:
        assert time.monotonic() < deadline, f"batch {batch_id} still {batch.status} after {within} s"
        await asyncio.sleep(0.05)
    return batch


async def answered(sdk: openai.AsyncOpenAI, batch_id: str, *, at_least: int, within: float = 30.0) -> Batch:
    """The batch once at least ``at_least`` of its lines are answered 2xx."""
    deadline = time.monotonic() + within
    while (batch := await sdk.batches.retrieve(batch_id)).request_counts.completed < at_least:  # type: ignore[union-attr]
        assert time.monotonic() < deadline, f"batch {batch_id} answered fewer than {at_least} lines in {within} s"
        await asyncio.sleep(0.01)
    return batch


async def lines_of(sdk: openai.AsyncOpenAI, file_id: str | None) -> list[dict[str, Any]]:
    if file_id is None:
        return []
    content = await sdk.files.content(file_id)
    return [orjson.loads(line) for line in content.content.splitlines()]
