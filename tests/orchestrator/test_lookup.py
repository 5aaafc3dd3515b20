"""Endpoint look-ups: requests that find an entry run out share one read of the store; each endpoint's model
object is opened once and kept with its entry until the endpoint changes or goes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hfgate.config import Settings
from hfgate.errors import EndpointNotFoundError
from hfgate.orchestrator.lookup import EndpointLookup
from hfgate.ratelimit.pacing import RateLimiters
from hfgate.registry.database import make_engine
from hfgate.registry.endpoint import Endpoint
from hfgate.registry.migrations import migrate
from hfgate.registry.secrets import SecretBox
from hfgate.registry.store import EndpointStore
from hfgate.services.base import Model, ServiceContext
from hfgate.services.hugging_face.service import HuggingFaceService
from hfgate.tasks import TaskType

SERVICE = HuggingFaceService.name
URL = {"url": "http://tei.test:80", "engine": "tei"}


class CountingStore(EndpointStore):
    """The real SQLite store, counting its reads."""

    reads = 0

    def get(self, inference_id: str) -> Endpoint:
        self.reads += 1
        return super().get(inference_id)


class CountingOpener:
    """The ``hugging_face`` service's ``open``, counting the endpoints it opened."""

    def __init__(self, settings: Settings) -> None:
        self.service = HuggingFaceService(ServiceContext(limiters=RateLimiters(), settings=settings))
        self.opened: list[Endpoint] = []

    def __call__(self, endpoint: Endpoint) -> Model:
        self.opened.append(endpoint)
        return self.service.open(endpoint)


@pytest.fixture
def opener(tmp_path: Path) -> CountingOpener:
    return CountingOpener(Settings(data_dir=tmp_path))


@pytest.fixture
def store(tmp_path: Path) -> CountingStore:
    settings = Settings(data_dir=tmp_path)
    engine = make_engine(settings)
    migrate(engine)
    store = CountingStore(engine, SecretBox.from_settings(settings))
    store.create(
        Endpoint(inference_id="e", task_type=TaskType.TEXT_EMBEDDING, service="hugging_face", service_settings=URL)
    )
    return store


async def test_concurrent_misses_share_one_read(store: CountingStore, opener: CountingOpener) -> None:
    lookup = EndpointLookup(store, ttl_seconds=60, opener=opener)
    found = await asyncio.gather(*(lookup.get("e") for _ in range(32)))
    assert {e.inference_id for e in found} == {"e"}
    assert store.reads == 1
    await lookup.get("e")
    assert store.reads == 1


async def test_a_forgotten_entry_is_read_again_and_errors_reach_every_waiter(
    store: CountingStore, opener: CountingOpener
) -> None:
    lookup = EndpointLookup(store, ttl_seconds=60, opener=opener)
    await lookup.get("e")
    lookup.forget("e")
    await lookup.get("e")
    assert store.reads == 2
    results = await asyncio.gather(*(lookup.get("missing") for _ in range(4)), return_exceptions=True)
    assert all(isinstance(r, EndpointNotFoundError) for r in results)
    assert store.reads == 3


async def test_without_a_cache_every_request_reads(store: CountingStore, opener: CountingOpener) -> None:
    lookup = EndpointLookup(store, ttl_seconds=0, opener=opener)
    await asyncio.gather(*(lookup.get("e") for _ in range(3)))
    assert store.reads == 3


async def test_an_endpoint_is_opened_once_and_kept_until_it_changes_or_goes(
    store: CountingStore, opener: CountingOpener
) -> None:
    lookup = EndpointLookup(store, ttl_seconds=0, opener=opener)  # every request reads the store afresh
    first = lookup.model(await lookup.get("e"))
    again = [lookup.model(await lookup.get("e")) for _ in range(3)]
    assert all(model is first for model in again)  # a fresh read of the unchanged record keeps it
    assert len(opener.opened) == 1
    assert first.endpoint.service_settings == URL

    changed = (await lookup.get("e")).evolve(service_settings={**URL, "url": "http://tei.test:81"})
    store.replace(changed)
    reopened = lookup.model(await lookup.get("e"))
    assert reopened is not first
    assert reopened.endpoint.service_settings["url"] == "http://tei.test:81"

    lookup.forget("e")  # an update or a delete, here or on another replica
    assert lookup.model(await lookup.get("e")) is not reopened
    assert len(opener.opened) == 3


async def test_an_embedding_endpoint_is_opened_as_its_service_serves_it(
    store: CountingStore, opener: CountingOpener
) -> None:
    store.create(
        Endpoint(inference_id="es", task_type=TaskType.EMBEDDING, service="hugging_face", service_settings=URL)
    )
    lookup = EndpointLookup(store, ttl_seconds=60, opener=opener)
    assert lookup.model(await lookup.get("es")).endpoint.task_type is TaskType.TEXT_EMBEDDING
