"""``GET /metrics`` after a known sequence of requests shows exactly those counts; who may read it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from hfgate.config import Settings
from tests.conftest import app_client
from tests.fakes.hf_fixtures import fake_hf, fake_hf_server, hf_api
from tests.fakes.hf_server import TOKEN, FakeHF, Fault
from tests.support.metrics import sample

__all__ = ["fake_hf", "fake_hf_server", "hf_api"]


def body(**service_settings: Any) -> dict[str, Any]:
    limit = {"requests_per_minute": 1_000_000}
    return {"service": "hugging_face", "service_settings": {"api_key": TOKEN, "rate_limit": limit, **service_settings}}


async def scrape(api: httpx.AsyncClient) -> str:
    answer = await api.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return answer.text


async def test_metrics_show_exactly_the_requests_made(api: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    assert (
        await api.put("/_inference/text_embedding/counted", json=body(url=f"{fake_hf.base}/tei"))
    ).status_code == 200
    assert (await api.put("/_inference/completion/gen", json=body(url=f"{fake_hf.base}/tgi"))).status_code == 200
    before = await scrape(api)

    for _ in range(3):
        assert (await api.post("/_inference/text_embedding/counted", json={"input": ["a"]})).status_code == 200
    for _ in range(2):
        assert (await api.post("/v1/embeddings", json={"model": "counted", "input": "a"})).status_code == 200
    fake_hf.inject("/tei", Fault.server_error(500))
    assert (await api.post("/_inference/text_embedding/counted", json={"input": ["a"]})).status_code == 502
    completions = [await api.post("/v1/completions", json={"model": "gen", "prompt": "one two"}) for _ in range(2)]
    streamed = await api.post("/_inference/completion/gen/_stream", json={"input": "one two"})
    assert streamed.status_code == 200
    after = await scrape(api)

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    es = {"face": "elasticsearch", "endpoint": "counted", "task_type": "text_embedding"}
    assert delta("hfgate_requests_total", **es, status="200") == 3
    assert delta("hfgate_requests_total", **es, status="502") == 1
    assert delta("hfgate_requests_total", face="openai", endpoint="counted", status="200") == 2
    assert delta("hfgate_requests_total", face="openai", endpoint="gen", task_type="completion", status="200") == 2
    assert delta("hfgate_request_duration_seconds_count", **es) == 4
    upstream = f"{fake_hf.base}/tei"
    assert delta("hfgate_upstream_request_duration_seconds_count", endpoint="counted", upstream=upstream) == 6
    assert delta("hfgate_upstream_request_duration_seconds_count", endpoint="counted", outcome="500") == 1
    assert delta("hfgate_time_to_first_token_seconds_count", endpoint="gen") == 1
    answered = [c.json()["usage"] for c in completions]
    out = sum(u["completion_tokens"] for u in answered)
    assert out > 0
    assert delta("hfgate_tokens_total", endpoint="gen", direction="out") == out + 5  # the stream: 5 tokens
    assert (
        delta("hfgate_tokens_total", endpoint="gen", direction="in")
        == sum(u["prompt_tokens"] for u in answered) * 3 / 2
    )


async def test_a_retried_503_and_a_rate_limit_wait_are_counted(api: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    slow = {"requests_per_minute": 600}  # one request every 0.1 s
    created = await api.put(
        "/_inference/text_embedding/paced",
        json={
            "service": "hugging_face",
            "service_settings": {"api_key": TOKEN, "url": f"{fake_hf.base}/tei", "rate_limit": slow},
        },
    )
    assert created.status_code == 200
    before = await scrape(api)
    fake_hf.inject("/tei", Fault.server_error(503))
    assert (await api.post("/_inference/text_embedding/paced", json={"input": ["a"]})).status_code == 200
    # Two at once: the second waits for the slot after the first's (0.1 s on), whatever the timing above
    # (the retry's backoff, 0.5-1 s, finds its slot free).
    both = [api.post("/_inference/text_embedding/paced", json={"input": [text]}) for text in ("b", "c")]
    assert [r.status_code for r in await asyncio.gather(*both)] == [200, 200]
    after = await scrape(api)
    assert (
        sample(after, "hfgate_upstream_retries_total", endpoint="paced", reason="503")
        - sample(before, "hfgate_upstream_retries_total", endpoint="paced", reason="503")
        == 1
    )
    assert sample(after, "hfgate_rate_limit_waits_total", endpoint="paced") > sample(
        before, "hfgate_rate_limit_waits_total", endpoint="paced"
    )


@pytest.mark.parametrize(
    ("api_keys", "token", "path", "status"),
    [
        (["gate"], "scrape", "/metrics", 200),
        (["gate"], "gate", "/metrics", 200),
        (["gate"], None, "/metrics", 401),
        (["gate"], "scrape", "/_inference", 401),
        ([], None, "/metrics", 401),
        ([], "scrape", "/metrics", 200),
        ([], None, "/_inference", 200),
    ],
)
async def test_metrics_key_reads_metrics_only(
    tmp_path: Path, api_keys: list[str], token: str | None, path: str, status: int
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        provision_defaults=False,
        api_keys=api_keys,
        metrics_key=SecretStr("scrape"),
        log_format="text",
    )
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with app_client(settings) as http:
        answer = await http.get(path, headers=headers)
    assert answer.status_code == status, answer.text
    if status == 401 and path == "/metrics" and not api_keys:
        assert "HFGATE_METRICS_KEY" in answer.json()["error"]["reason"]
