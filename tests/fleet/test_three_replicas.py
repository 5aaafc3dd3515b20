"""Three ``hfgate serve`` processes sharing one PostgreSQL database and one Redis, in front of the fake upstream.

Each replica has its own data directory; they share ``HFGATE_SECRET_KEY``. The registry cache TTL is a
minute, so anything seen sooner than that travelled through the change feed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.hf_server import TOKEN
from tests.fakes.timed_hf import TimedFakeHF
from tests.support.postgres import fresh_database
from tests.support.redis_server import RedisServer
from tests.support.replicas import Replica, fleet_env, start_fleet
from tests.support.waiting import until, until_true

pytestmark = pytest.mark.postgres


class Fleet:
    def __init__(self, replicas: list[Replica], upstream: TimedFakeHF, redis: RedisServer, env: dict[str, str]) -> None:
        self.env = env
        self.replicas = replicas
        self.upstream = upstream
        self.redis = redis

    @property
    def urls(self) -> list[str]:
        return [replica.url for replica in self.replicas]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    workdir = tmp_path_factory.mktemp("fleet")
    upstream = TimedFakeHF()
    upstream.start()
    redis = RedisServer(workdir / "redis")
    redis.start()
    try:
        with fresh_database() as database_url:
            env = fleet_env(
                database_url=database_url,
                redis_url=redis.url,
                HFGATE_REPLICAS="3",
                HFGATE_REGISTRY_CACHE_SECONDS="60",
            )
            replicas = start_fleet(3, env=env, workdir=workdir)
            try:
                yield Fleet(replicas, upstream, redis, env)
            finally:
                for replica in replicas:
                    replica.stop()
    finally:
        redis.stop()
        upstream.stop()


def _create(url: str, inference_id: str, *, upstream: str, requests_per_minute: int) -> None:
    body = {
        "service": "hugging_face",
        "service_settings": {
            "url": f"{upstream}/tei",
            "api_key": TOKEN,
            "rate_limit": {"requests_per_minute": requests_per_minute},
        },
    }
    answer = httpx.put(f"{url}/_inference/text_embedding/{inference_id}", json=body, timeout=30)
    assert answer.status_code == 200, answer.text


async def _embed(client: httpx.AsyncClient, url: str, *, inference_id: str, text: str = "hello") -> httpx.Response:
    return await client.post(f"{url}/_inference/text_embedding/{inference_id}", json={"input": [text]}, timeout=60)


async def test_a_burst_through_three_replicas_keeps_the_fleet_within_its_rate_limit(fleet: Fleet) -> None:
    rpm = 1200  # one request every 50 ms for the whole fleet
    _create(fleet.urls[0], "burst", upstream=fleet.upstream.base, requests_per_minute=rpm)
    started = time.monotonic()
    async with httpx.AsyncClient() as client:
        burst = (_embed(client, fleet.urls[n % 3], inference_id="burst", text=f"t{n}") for n in range(90))
        answers = await asyncio.gather(*burst)
    assert [a.status_code for a in answers] == [200] * 90
    # The inference calls are limited; the servers' /info look-ups are not (they are not inference).
    # An endpoint created by url speaks TEI's /embed once /info shows TEI; older records post to the url.
    inference = ("/tei", "/tei/embed")
    arrivals = [at for at, path in fleet.upstream.arrivals if at >= started and path in inference]
    assert len(arrivals) == 90
    span = arrivals[-1] - arrivals[0]
    # Arrivals are timed at the upstream, each some milliseconds after its replica admitted it; on a loaded
    # 2-core machine that delay varies by up to ~0.1 s (90 admissions 50 ms apart once arrived within 4.36 s).
    # A quarter second of it is allowed: five requests, where a limit each replica kept alone would let the
    # 90 through in ~1.5 s (three times the rate).
    allowed = (span + 0.25) * rpm / 60 + 1  # admissions at both ends of the window
    assert len(arrivals) <= allowed, f"{len(arrivals)} requests in {span:.2f}s; the limit allows {allowed:.1f}"


async def test_an_update_on_one_replica_changes_what_the_others_do_before_their_cache_expires(fleet: Fleet) -> None:
    _create(fleet.urls[0], "rotated", upstream=fleet.upstream.base, requests_per_minute=60000)
    async with httpx.AsyncClient() as client:
        for url in fleet.urls:  # B and C now hold the endpoint in their minute-long cache
            assert (await _embed(client, url, inference_id="rotated")).status_code == 200
        update = {"service_settings": {"api_key": "hf_revoked"}}
        answer = await client.put(f"{fleet.urls[0]}/_inference/text_embedding/rotated/_update", json=update)
        assert answer.status_code == 200, answer.text

        async def refused() -> bool:  # the others hear of the update through the database's change notices
            after = [await _embed(client, url, inference_id="rotated") for url in fleet.urls[1:]]
            return [a.status_code for a in after] == [401, 401]

        await until_true(refused, within=10, what="the other replicas sending the revoked token")


async def test_a_delete_on_one_replica_is_seen_by_the_others_before_their_cache_expires(fleet: Fleet) -> None:
    _create(fleet.urls[1], "deleted", upstream=fleet.upstream.base, requests_per_minute=60000)
    async with httpx.AsyncClient() as client:
        for url in fleet.urls:
            assert (await _embed(client, url, inference_id="deleted")).status_code == 200
        assert (await client.delete(f"{fleet.urls[1]}/_inference/deleted")).status_code == 200

        async def gone() -> bool:
            after = [await _embed(client, url, inference_id="deleted") for url in (fleet.urls[0], fleet.urls[2])]
            return [a.status_code for a in after] == [404, 404]

        await until_true(gone, within=10, what="the other replicas answering 404")


async def test_redis_stopped_and_restarted_mid_load_falls_back_open_with_no_5xx(fleet: Fleet) -> None:
    _create(fleet.urls[2], "outage", upstream=fleet.upstream.base, requests_per_minute=60000)
    statuses: list[int] = []
    async with httpx.AsyncClient() as client:

        async def load(rounds: int) -> None:
            for n in range(rounds):
                round_ = (_embed(client, url, inference_id="outage", text=f"o{n}") for url in fleet.urls)
                answers = await asyncio.gather(*round_)
                statuses.extend(a.status_code for a in answers)

        await load(5)
        fleet.redis.stop()
        await load(10)
        fleet.redis.start()

        async def back() -> bool:  # each replica tries Redis again at most once a second: a request makes it try
            await load_probe(client, fleet)
            return all('"event":"limit.redis.up"' in replica.log.read_text() for replica in fleet.replicas)

        await until_true(back, what="every replica back on Redis")
        await load(5)
    assert statuses == [200] * 60
    logs = [replica.log.read_text() for replica in fleet.replicas]
    assert all(log.count('"event":"limit.redis.down"') == 1 for log in logs), logs
    assert all(log.count('"event":"limit.redis.up"') == 1 for log in logs), logs


async def load_probe(client: httpx.AsyncClient, fleet: Fleet) -> None:
    """One request to each replica, outside the statuses a test counts."""
    await asyncio.gather(*(_embed(client, url, inference_id="outage", text="probe") for url in fleet.urls))


def test_a_replica_with_another_secret_key_refuses_to_start_naming_the_variable(fleet: Fleet, tmp_path: Path) -> None:
    env = {**fleet.env, "HFGATE_SECRET_KEY": "another-key", "HFGATE_DATA_DIR": str(tmp_path)}
    intruder = Replica(env, log=tmp_path / "intruder.log")
    try:
        assert intruder.process.wait(60) == 2
    finally:
        intruder.stop()
    said = " ".join(intruder.log.read_text().split())
    assert "Refusing to start" in said
    assert "HFGATE_SECRET_KEY does not match the key this database was first started with" in said


async def test_killing_one_replica_mid_load_loses_no_request_the_others_accepted(fleet: Fleet) -> None:
    _create(fleet.urls[0], "survivor", upstream=fleet.upstream.base, requests_per_minute=60000)
    victim, survivors = fleet.replicas[2], fleet.urls[:2]
    results: dict[str, list[Any]] = {url: [] for url in fleet.urls}
    async with httpx.AsyncClient() as client:

        async def load(url: str) -> None:
            for n in range(30):
                try:
                    results[url].append((await _embed(client, url, inference_id="survivor", text=f"k{n}")).status_code)
                except httpx.TransportError as exc:  # only the killed replica may drop a connection
                    results[url].append(type(exc).__name__)
                await asyncio.sleep(0.01)

        async def kill_soon() -> None:  # mid-load: once the victim has answered a few requests
            await until(lambda: len(results[victim.url]) >= 5, what="the victim's first answers")
            victim.kill()

        await asyncio.gather(*(load(url) for url in fleet.urls), kill_soon())
    for url in survivors:
        assert results[url] == [200] * 30
    assert any(not isinstance(r, int) for r in results[victim.url]), "the replica was killed mid-load"
