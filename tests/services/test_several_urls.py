"""Several ``urls`` per endpoint, through hfgate's API: replicas in their own processes, one killed
mid-load and one answering 503; the fallback endpoint when all of them fail."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfgate.config import Settings
from tests.conftest import app_client
from tests.fakes.hf_server import TOKEN, vector_for
from tests.fakes.tei_replica import Replica
from tests.support.live_server import free_port
from tests.support.metrics import sample

pytestmark = pytest.mark.slow  # starts several upstream servers and waits out their timeouts: not in `make check`

TYPED_ERRORS = {429, 502, 503, 504}


@pytest.fixture
def replicas() -> Iterator[dict[str, Replica]]:
    started: dict[str, Replica] = {}
    try:
        for name, status in (("a", 200), ("b", 200), ("sick", 503), ("spare", 200)):
            started[name] = Replica(free_port(), status)
        yield started
    finally:
        for replica in started.values():
            replica.kill()


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(data_dir=tmp_path, provision_defaults=False, registry_cache_seconds=0, log_format="text")
    async with app_client(settings) as http:
        yield http


def body(**service_settings: Any) -> dict[str, Any]:
    limit = {"requests_per_minute": 1_000_000}
    return {"service": "hugging_face", "service_settings": {"api_key": TOKEN, "rate_limit": limit, **service_settings}}


async def embed_all(api: httpx.AsyncClient, inference_id: str, count: int) -> list[httpx.Response]:
    async def one(i: int) -> httpx.Response:
        return await api.post(f"/_inference/text_embedding/{inference_id}", json={"input": [f"text {i}"]})

    return list(await asyncio.gather(*(one(i) for i in range(count))))


def check_outcomes(answers: list[httpx.Response]) -> int:
    """Every answer is a result with the right vector or a typed error; the number of results."""
    results = 0
    for answer in answers:
        assert answer.status_code == 200 or answer.status_code in TYPED_ERRORS, answer.text
        if answer.status_code == 200:
            assert len(answer.json()["text_embedding"][0]["embedding"]) == len(vector_for("x"))
            results += 1
        else:
            assert answer.json()["error"]["reason"]
    return results


async def test_a_killed_and_a_503_upstream_move_traffic_to_the_healthy_one_then_to_the_fallback(
    api: httpx.AsyncClient, replicas: dict[str, Replica]
) -> None:
    a, b, sick, spare = replicas["a"], replicas["b"], replicas["sick"], replicas["spare"]
    assert (await api.put("/_inference/text_embedding/spare", json=body(url=spare.url))).status_code == 200
    group = body(urls=[a.url, b.url, sick.url], fallback="spare")
    created = await api.put("/_inference/text_embedding/group", json=group)
    assert created.status_code == 200, created.text

    warm = await embed_all(api, "group", 30)
    warm_hits_on_b = await asyncio.to_thread(b.hits)
    during_task = asyncio.create_task(embed_all(api, "group", 60))
    while await asyncio.to_thread(b.hits) == warm_hits_on_b:  # until some of them reached b
        assert not during_task.done(), "none of the load went to b"
    await asyncio.to_thread(b.kill)
    during = await during_task
    after_kill_hits_on_a = a.hits()
    after = await embed_all(api, "group", 30)

    assert check_outcomes(warm + during + after) == 120  # the healthy replica and failover answer all
    assert a.hits() - after_kill_hits_on_a == 30  # once b and the 503 are ejected, a takes everything
    spare_hits = spare.hits()

    a.kill()
    falling_back = await embed_all(api, "group", 20)
    assert check_outcomes(falling_back) == 20
    assert spare.hits() - spare_hits == 20

    text = (await api.get("/metrics")).text
    assert sample(text, "hfgate_upstream_ejections_total", endpoint="group", upstream=b.url, reason="connection") >= 1
    assert sample(text, "hfgate_upstream_ejections_total", endpoint="group", upstream=sick.url, reason="server_error")
    assert sample(text, "hfgate_fallbacks_total", endpoint="group", fallback="spare") == 20
    assert sample(text, "hfgate_requests_total", endpoint="group", status="200") == 120 + 20


async def test_all_upstreams_down_without_a_fallback_is_a_typed_502_naming_the_fix(
    api: httpx.AsyncClient, replicas: dict[str, Replica]
) -> None:
    a, sick = replicas["a"], replicas["sick"]
    assert (await api.put("/_inference/text_embedding/pair", json=body(urls=[a.url, sick.url]))).status_code == 200
    a.kill()
    answers = await embed_all(api, "pair", 5)
    assert {answer.status_code for answer in answers} == {502}
    reason = answers[0].json()["error"]["reason"]
    assert "upstream urls of inference entity id [pair] failed" in reason
    assert "service_settings.fallback" in reason


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"urls": []}, "[urls] is empty"),
        ({"urls": ["http://x:1", "http://x:1"]}, "the same url twice"),
        ({"urls": ["ftp://x"]}, "Invalid url in [urls] [ftp://x]"),
        ({"urls": ["http://x:1"], "url": "http://x:1"}, "contains [urls] and also [url]"),
        ({"url": "http://x:1", "fallback": "nope"}, "no inference endpoint [nope] exists"),
    ],
)
async def test_bad_urls_or_fallback_are_a_400_naming_the_field(
    api: httpx.AsyncClient, settings: dict[str, Any], problem: str
) -> None:
    answer = await api.put("/_inference/text_embedding/bad?skip_validation=true", json=body(**settings))
    assert answer.status_code == 400, answer.text
    assert problem in answer.json()["error"]["reason"]


async def test_a_fallback_of_another_task_type_is_refused(api: httpx.AsyncClient) -> None:
    created = await api.put("/_inference/rerank/other?skip_validation=true", json=body(url="http://127.0.0.1:1/rerank"))
    assert created.status_code == 200, created.text
    answer = await api.put(
        "/_inference/text_embedding/emb?skip_validation=true", json=body(url="http://127.0.0.1:1", fallback="other")
    )
    assert answer.status_code == 400
    assert "a fallback must have the same task type" in answer.json()["error"]["reason"]


async def test_a_create_on_a_url_where_nothing_listens_is_refused_at_once_without_retries(
    api: httpx.AsyncClient,
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    created = await api.put("/_inference/text_embedding/typo", json=body(url=closed))
    assert created.status_code == 502, created.text
    assert f"The test [text_embedding] call to [{closed}] failed" in created.json()["error"]["reason"]
    assert "Check the url and that the server is running" in created.json()["error"]["reason"]
    text = (await api.get("/metrics")).text
    assert sample(text, "hfgate_upstream_retries_total", endpoint="typo", reason="connection") == 0


async def test_a_group_whose_first_url_is_down_is_still_created_on_the_others(
    api: httpx.AsyncClient, replicas: dict[str, Replica]
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    created = await api.put("/_inference/text_embedding/group", json=body(urls=[closed, replicas["a"].url]))
    assert created.status_code == 200, created.text
    answer = await api.post("/_inference/text_embedding/group", json={"input": ["x"]})
    assert answer.status_code == 200, answer.text
