"""Three replicas with ``HFGATE_REDIS_FAILURE_POLICY=fail_closed``: Redis stopped mid-load gives 503s that
name the policy (never a 500), and full service again once it is back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.fakes.hf_server import TOKEN
from tests.fakes.timed_hf import TimedFakeHF
from tests.support.postgres import fresh_database
from tests.support.redis_server import RedisServer
from tests.support.replicas import fleet_env, start_fleet
from tests.support.waiting import until_true

pytestmark = pytest.mark.postgres


async def test_redis_stopped_mid_load_under_fail_closed_gives_503_never_500(tmp_path: Path) -> None:
    upstream, redis = TimedFakeHF(), RedisServer(tmp_path / "redis")
    upstream.start()
    redis.start()
    try:
        with fresh_database() as database_url:
            env = fleet_env(database_url=database_url, redis_url=redis.url, HFGATE_REDIS_FAILURE_POLICY="fail_closed")
            replicas = start_fleet(3, env=env, workdir=tmp_path)
            try:
                statuses, reasons = await _load_through_outage([r.url for r in replicas], upstream.base, redis)
            finally:
                for replica in replicas:
                    replica.stop()
    finally:
        redis.stop()
        upstream.stop()
    before, during, after = statuses[:15], statuses[15:45], statuses[45:]
    assert before == [200] * 15
    assert during == [503] * 30
    assert after == [200] * 15
    assert {"HFGATE_REDIS_FAILURE_POLICY is [fail_closed]" in reason for reason in reasons} == {True}


async def _load_through_outage(urls: list[str], upstream: str, redis: RedisServer) -> tuple[list[int], list[str]]:
    body = {"service": "hugging_face", "service_settings": {"url": f"{upstream}/tei", "api_key": TOKEN}}
    statuses: list[int] = []
    reasons: list[str] = []
    async with httpx.AsyncClient(timeout=60) as client:
        created = await client.put(f"{urls[0]}/_inference/text_embedding/closed", json=body)
        assert created.status_code == 200, created.text

        async def load(rounds: int) -> None:
            for n in range(rounds):
                answers = await asyncio.gather(
                    *(client.post(f"{url}/_inference/text_embedding/closed", json={"input": [f"c{n}"]}) for url in urls)
                )
                statuses.extend(a.status_code for a in answers)
                reasons.extend(a.json()["error"]["reason"] for a in answers if a.status_code == 503)

        await load(5)
        redis.stop()
        await load(10)
        redis.start()

        async def back() -> bool:  # each replica tries Redis again at most once a second: a request makes it try
            probes = (client.post(f"{url}/_inference/text_embedding/closed", json={"input": ["probe"]}) for url in urls)
            return all(answer.status_code == 200 for answer in await asyncio.gather(*probes))

        await until_true(back, what="every replica admitting again once Redis is back")
        await load(5)
    return statuses, reasons
