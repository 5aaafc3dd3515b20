"""Two replicas on one Redis share their cached vectors; a Redis that dies mid-run fails no request."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hfgate.config import Settings
from hfgate.services import ServiceContext
from hfgate.telemetry.metrics import EMBED_CACHE_BYPASSES
from tests.conftest import app_client
from tests.embed_cache.conftest import TEI, cache_settings, tei_body
from tests.fakes.hf_server import FakeHF
from tests.support.redis_server import RedisServer
from tests.support.waiting import until, until_true

PATH = f"/_inference/text_embedding/{TEI}"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _replica_settings(fake_hf: FakeHF, tmp_path: Path, redis: RedisServer) -> Settings:
    return cache_settings(fake_hf.base, tmp_path / "data", redis_url=redis.url, redis_prefix="cache-test:")


async def test_a_vector_one_replica_computed_is_served_by_the_other(
    fake_hf: FakeHF, tmp_path: Path, redis_server: RedisServer, local_context: ServiceContext
) -> None:
    settings = _replica_settings(fake_hf, tmp_path, redis_server)
    async with app_client(settings, local_context) as one, app_client(settings, local_context) as two:
        assert (await one.put(PATH, json=tei_body(fake_hf.base))).status_code == 200
        fake_hf.reset()
        first = await one.post(PATH, json={"input": ["shared across the fleet"]})
        second = await two.post(PATH, json={"input": ["shared across the fleet"]})
        assert (first.headers["x-hfgate-cache"], second.headers["x-hfgate-cache"]) == ("miss", "hit")
        assert len(fake_hf.hits("/tei/embed")) == 1
        assert second.json() == first.json()


async def test_redis_killed_mid_run_fails_no_request_and_is_used_again_once_back(
    fake_hf: FakeHF, tmp_path: Path, redis_server: RedisServer, local_context: ServiceContext
) -> None:
    settings = _replica_settings(fake_hf, tmp_path, redis_server)
    bypassed = EMBED_CACHE_BYPASSES("redis")._value.get()
    async with app_client(settings, local_context) as one, app_client(settings, local_context) as two:
        assert (await one.put(PATH, json=tei_body(fake_hf.base))).status_code == 200
        statuses: list[int] = []

        async def traffic(http: httpx.AsyncClient, name: str) -> None:
            for n in range(40):
                answer = await http.post(PATH, json={"input": [f"{name} {n}", f"common {n % 5}"]})
                statuses.append(answer.status_code)
                await asyncio.sleep(0.01)

        async def kill() -> None:  # mid-traffic: once a quarter of the requests are answered
            await until(lambda: len(statuses) >= 20, what="the first answers")
            await asyncio.to_thread(redis_server.stop)

        await asyncio.gather(traffic(one, "one"), traffic(two, "two"), kill())
        assert statuses == [200] * 80
        assert EMBED_CACHE_BYPASSES("redis")._value.get() > bypassed

        await asyncio.to_thread(redis_server.start)
        tries = iter(range(10**6))

        async def shared_again() -> bool:  # the tier is skipped for a second after its last failure
            text = {"input": [f"after the restart {next(tries)}"]}
            assert (await one.post(PATH, json=text)).status_code == 200  # written once it finds Redis back
            return (await two.post(PATH, json=text)).headers["x-hfgate-cache"] == "hit"

        await until_true(shared_again, what="a vector written by one replica found by the other")


async def test_rerank_scores_and_sparse_vectors_are_shared_and_a_killed_redis_fails_none_of_them(
    fake_hf: FakeHF, tmp_path: Path, redis_server: RedisServer
) -> None:
    from tests.embed_cache.test_rerank import QUERY, rerank_body
    from tests.embed_cache.test_sparse import PATH as SPARSE
    from tests.embed_cache.test_sparse import splade_body

    settings = _replica_settings(fake_hf, tmp_path, redis_server)
    bypassed = EMBED_CACHE_BYPASSES("redis")._value.get()
    rerank = "/_inference/rerank/rr"
    async with app_client(settings) as one, app_client(settings) as two:
        assert (await one.put(rerank, json=rerank_body({"url": "/tei-rerank"}, fake_hf.base))).status_code == 200
        assert (await one.put(SPARSE, json=splade_body(fake_hf.base))).status_code == 200
        for path, body in ((rerank, {"query": QUERY, "input": ["big cat", "dog"]}), (SPARSE, {"input": ["cat"]})):
            first, second = await one.post(path, json=body), await two.post(path, json=body)
            assert (first.headers["x-hfgate-cache"], second.headers["x-hfgate-cache"]) == ("miss", "hit")
            assert second.content == first.content
        statuses: list[int] = []

        async def traffic(http: httpx.AsyncClient, name: str) -> None:
            for n in range(30):
                ranked = await http.post(rerank, json={"query": QUERY, "input": [f"{name} {n}", f"cat {n % 5}"]})
                sparse = await http.post(SPARSE, json={"input": [f"{name} {n}", f"common {n % 5}"]})
                statuses.extend((ranked.status_code, sparse.status_code))
                await asyncio.sleep(0.01)

        async def kill() -> None:  # mid-traffic: once a quarter of the requests are answered
            await until(lambda: len(statuses) >= 20, what="the first answers")
            await asyncio.to_thread(redis_server.stop)

        await asyncio.gather(traffic(one, "one"), traffic(two, "two"), kill())
        assert statuses == [200] * 120
        assert EMBED_CACHE_BYPASSES("redis")._value.get() > bypassed, "Redis died while requests ran"
