"""Per-key limits: requests and tokens per minute, 429 with Retry-After in each face's shape, shared by
replicas through Redis when HFGATE_REDIS_URL is set."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from hfgate.config import Settings
from hfgate.services import ServiceContext
from tests.conftest import app_client

BOOT = {"Authorization": "Bearer boot"}
REDIS = "redis://127.0.0.1:6379/0"


def keyed(data_dir: Path, **extra: object) -> Settings:
    return Settings(data_dir=data_dir, api_keys=["boot"], log_format="text", secret_key="s", **extra)  # type: ignore[arg-type]


async def limited_key(http: httpx.AsyncClient, **limits: int) -> dict[str, str]:
    body = {"name": "limited", "roles": ["infer"], "limits": limits}
    answer = await http.post("/_security/api_key", json=body, headers=BOOT)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"ApiKey {answer.json()['encoded']}"}


async def test_requests_per_minute_give_429_with_retry_after_in_each_faces_shape(
    tmp_path: Path, shared_context: ServiceContext
) -> None:
    async with app_client(keyed(tmp_path, provision_defaults=False), shared_context) as http:
        headers = await limited_key(http, requests_per_minute=3)
        for _ in range(3):
            assert (await http.get("/v1/models", headers=headers)).status_code == 200
        openai = await http.get("/v1/models", headers=headers)
        assert openai.status_code == 429
        assert 1 <= int(openai.headers["retry-after"]) <= 20  # one request's share of the minute
        assert openai.json()["error"]["type"] == "rate_limit_error"
        assert "requests per minute [3]" in openai.json()["error"]["message"]
        es = await http.post("/_inference/nothing", json={"input": "x"}, headers=headers)
        assert es.status_code == 429
        assert es.json()["error"]["type"] == "status_exception"
        assert "retry-after" in es.headers
        assert (await http.get("/_inference", headers=BOOT)).status_code == 200  # other keys are not held


async def test_tokens_per_minute_refuse_once_the_budget_is_spent(
    tmp_path: Path, shared_context: ServiceContext
) -> None:
    async with app_client(keyed(tmp_path), shared_context) as http:
        headers = await limited_key(http, tokens_per_minute=10)
        body = {"model": ".all-minilm-l6-v2", "input": "one two three four five six seven eight nine ten eleven"}
        first = await http.post("/v1/embeddings", json=body, headers=headers)
        assert first.status_code == 200, first.text
        assert first.json()["usage"]["prompt_tokens"] > 10
        refused = await http.post("/v1/embeddings", json=body, headers=headers)
        assert refused.status_code == 429
        assert "tokens per minute [10]" in refused.json()["error"]["message"]
        assert int(refused.headers["retry-after"]) >= 1


async def test_replicas_share_a_keys_limit_through_redis(tmp_path: Path, shared_context: ServiceContext) -> None:
    shared = {"redis_url": REDIS, "redis_prefix": f"test-{uuid.uuid4().hex[:8]}:", "provision_defaults": False}
    async with (
        app_client(keyed(tmp_path, **shared), shared_context) as one,
        app_client(keyed(tmp_path, **shared), shared_context) as two,
    ):
        headers = await limited_key(one, requests_per_minute=4)
        statuses = [(await replica.get("/v1/models", headers=headers)).status_code for replica in (one, two) * 3]
        assert statuses == [200, 200, 200, 200, 429, 429]  # per process, each would have allowed 4
