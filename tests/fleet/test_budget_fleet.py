"""A key's budget across three ``hfgate serve`` processes sharing one PostgreSQL database and the Redis on
127.0.0.1:6379 (under a prefix of this run's own), under concurrent load: the spend ends within one
request of the budget, and every admitted request was paid for."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.fakes.coding_model import CodingModel
from tests.support.postgres import fresh_database
from tests.support.replicas import fleet_env, start_fleet
from tests.support.waiting import until_true

pytestmark = pytest.mark.postgres
BOOT = {"Authorization": "Bearer boot"}
REDIS = "redis://127.0.0.1:6379/0"
BUDGET = 300_000  # µ$: $0.30
COST = 12_002  # 12 written at 1000 µ$ + "hello there" (2 prompt tokens) at 1 µ$
BOUND = 12_000 + 200  # max_tokens 12 at 1000 µ$ + under 200 bytes of body at 1 µ$
CHAT = {"model": "coder", "messages": [{"role": "user", "content": "hello there"}], "max_tokens": 12}


async def test_a_keys_budget_holds_within_one_request_across_three_serve_processes(tmp_path: Path) -> None:
    model = CodingModel()
    model.start()
    try:
        with fresh_database() as database_url:
            env = fleet_env(database_url=database_url, redis_url=REDIS, HFGATE_REPLICAS="3",
                            HFGATE_API_KEYS="boot", HFGATE_USAGE_FLUSH_SECONDS="0.2")  # fmt: skip
            replicas = start_fleet(3, env=env, workdir=tmp_path)
            try:
                statuses, spent = await _spend_it_all([r.url for r in replicas], model)
            finally:
                for replica in replicas:
                    replica.stop()
    finally:
        model.stop()
    assert set(statuses) == {200, 429}
    assert BUDGET - BOUND <= spent <= BUDGET, spent
    assert statuses.count(200) * COST == spent


async def _spend_it_all(urls: list[str], model: CodingModel) -> tuple[list[int], int]:
    async with httpx.AsyncClient(timeout=60) as http:
        body = {"service": "hugging_face", "service_settings": {"url": model.base, "api_key": "x",
                                                                "price": {"input": 1, "output": 1000}}}  # fmt: skip
        assert (await http.put(f"{urls[0]}/_inference/chat_completion/coder", json=body, headers=BOOT)).is_success
        key = {"name": "team-a", "roles": ["infer"], "limits": {"usd_per_day": "0.3"}}
        made = await http.post(f"{urls[0]}/_security/api_key", json=key, headers=BOOT)
        headers = {"Authorization": f"ApiKey {made.json()['encoded']}"}
        statuses: list[int] = []
        while not statuses or 200 in statuses[-30:]:  # waves of 30 at once until a whole wave is refused
            wave = [http.post(f"{urls[n % 3]}/v1/chat/completions", json=CHAT, headers=headers) for n in range(30)]
            statuses += [answer.status_code for answer in await asyncio.gather(*wave)]
        served = statuses.count(200) * COST
        spent = 0

        async def tallied() -> bool:  # every replica flushes its tally every HFGATE_USAGE_FLUSH_SECONDS=0.2
            nonlocal spent
            spent = await _spent(http, urls[2])
            return spent == served

        await until_true(tallied, what="every replica's usage tally")
    return statuses, spent


async def _spent(http: httpx.AsyncClient, url: str) -> int:
    usage = (await http.get(f"{url}/_usage", headers=BOOT)).json()["usage"]
    return sum(line["cost_micros"] for line in usage if line["key_name"] == "team-a")
