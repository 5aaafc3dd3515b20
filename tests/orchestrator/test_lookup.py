"""Endpoint look-ups: requests that find an entry run out share one read of the store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hfgate.config import Settings
from hfgate.errors import EndpointNotFoundError
from hfgate.orchestrator.lookup import EndpointLookup
from hfgate.registry.database import make_engine
from hfgate.registry.endpoint import Endpoint
from hfgate.registry.migrations import migrate
from hfgate.registry.secrets import SecretBox
from hfgate.registry.store import EndpointStore
from hfgate.tasks import TaskType


class CountingStore(EndpointStore):
    """The real SQLite store, counting its reads."""

    reads = 0

    def get(self, inference_id: str) -> Endpoint:
        self.reads += 1
        return super().get(inference_id)


@pytest.fixture
def store(tmp_path: Path) -> CountingStore:
    settings = Settings(data_dir=tmp_path)
    engine = make_engine(settings)
    migrate(engine)
    store = CountingStore(engine, SecretBox.from_settings(settings))
    store.create(Endpoint(inference_id="e", task_type=TaskType.TEXT_EMBEDDING, service="local", service_settings={}))
    return store


async def test_concurrent_misses_share_one_read(store: CountingStore) -> None:
    lookup = EndpointLookup(store, ttl_seconds=60)
    found = await asyncio.gather(*(lookup.get("e") for _ in range(32)))
    assert {e.inference_id for e in found} == {"e"}
    assert store.reads == 1
    await lookup.get("e")
    assert store.reads == 1


async def test_a_forgotten_entry_is_read_again_and_errors_reach_every_waiter(store: CountingStore) -> None:
    lookup = EndpointLookup(store, ttl_seconds=60)
    await lookup.get("e")
    lookup.forget("e")
    await lookup.get("e")
    assert store.reads == 2
    results = await asyncio.gather(*(lookup.get("missing") for _ in range(4)), return_exceptions=True)
    assert all(isinstance(r, EndpointNotFoundError) for r in results)
    assert store.reads == 3


async def test_without_a_cache_every_request_reads(store: CountingStore) -> None:
    lookup = EndpointLookup(store, ttl_seconds=0)
    await asyncio.gather(*(lookup.get("e") for _ in range(3)))
    assert store.reads == 3
