"""Budgets: USD per day or month for a key or an endpoint, reserved at admission from the request's upper
bound and settled with its cost; 429 in each face's shape naming the budget and its reset; a warning header
at 80%; held across three replicas sharing Redis under concurrent load."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfgate.access.spend import resets_at
from hfgate.config import Settings
from tests.conftest import app_client
from tests.fakes.coding_model import CodingModel

BOOT = {"Authorization": "Bearer boot"}
REDIS = "redis://127.0.0.1:6379/0"
# Output dominates: a request's bound is its max_tokens (12) × 1000 µ$ plus a µ$ per byte of its body, and
# it costs 12 × 1000 plus a µ$ per prompt word: about $0.012 each.
PRICE = {"input": 1, "output": 1000}
USER = [{"role": "user", "content": "hello there"}]


def keyed(data_dir: Path, **extra: Any) -> Settings:
    base = {"data_dir": data_dir, "api_keys": ["boot"], "provision_defaults": False, "log_format": "text"}
    return Settings(**(base | {"log_level": "warning", "secret_key": "s"} | extra))


async def coder(http: httpx.AsyncClient, model: CodingModel, **settings: Any) -> None:
    body = {
        "service": "hugging_face",
        "service_settings": {"url": model.base, "api_key": "x", "price": PRICE} | settings,
    }
    created = await http.put("/_inference/chat_completion/coder", json=body, headers=BOOT)
    assert created.status_code == 200, created.text


async def budget_key(http: httpx.AsyncClient, **limits: object) -> dict[str, str]:
    body = {"name": "team-a", "roles": ["infer"], "limits": limits}
    answer = await http.post("/_security/api_key", json=body, headers=BOOT)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"ApiKey {answer.json()['encoded']}"}


def openai_chat() -> dict[str, Any]:
    return {"model": "coder", "messages": USER, "max_tokens": 12}


FACES: dict[str, tuple[str, dict[str, Any]]] = {
    "openai": ("/v1/chat/completions", openai_chat()),
    "anthropic": ("/v1/messages", {"model": "coder", "max_tokens": 12, "messages": USER}),
    "elasticsearch": ("/_inference/chat_completion/coder/_stream", {"messages": USER, "max_completion_tokens": 12}),
    "hf": ("/hf/coder", {"inputs": "hello there", "parameters": {"max_new_tokens": 12}}),
    "gemini": (
        "/v1beta/models/coder:generateContent",
        {
            "contents": [{"role": "user", "parts": [{"text": "hello there"}]}],
            "generationConfig": {"maxOutputTokens": 12},
        },
    ),
}


def message_of(face: str, body: dict[str, Any]) -> str:
    if face == "openai":
        assert body["error"]["type"] == "rate_limit_error"
        return str(body["error"]["message"])
    if face == "anthropic":
        assert body["type"] == "error"
        assert body["error"]["type"] == "rate_limit_error"
        return str(body["error"]["message"])
    if face == "gemini":
        assert (body["error"]["code"], body["error"]["status"]) == (429, "RESOURCE_EXHAUSTED")
        return str(body["error"]["message"])
    if face == "elasticsearch":
        assert body["status"] == 429
        assert body["error"]["type"] == "status_exception"
        return str(body["error"]["reason"])
    assert body["error_type"] == "overloaded"
    return str(body["error"])


@pytest.fixture
async def spent_key(tmp_path: Path, model: CodingModel) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """A gateway, and a key whose $0.05 a day is spent: four requests of about $0.012 leave no room for a fifth."""
    async with app_client(keyed(tmp_path)) as http:
        await coder(http, model)
        headers = await budget_key(http, usd_per_day="0.05")
        statuses = [(await http.post("/v1/chat/completions", json=openai_chat(), headers=headers)) for _ in range(5)]
        assert [a.status_code for a in statuses] == [200, 200, 200, 200, 429], statuses[-1].text
        yield http, headers


@pytest.mark.parametrize("face", list(FACES))
async def test_a_key_over_its_budget_gets_429_on_every_face_naming_the_budget_and_its_reset(
    spent_key: tuple[httpx.AsyncClient, dict[str, str]], face: str
) -> None:
    http, headers = spent_key
    path, body = FACES[face]
    answer = await http.post(path, json=body, headers=headers)
    assert answer.status_code == 429, answer.text
    message = message_of(face, answer.json())
    now = datetime.now(UTC)
    reset = resets_at("day", now)
    for named in ("API key [team-a]", "daily budget [$0.05]", f"resets at [{reset:%Y-%m-%dT%H:%M:%SZ}]"):
        assert named in message, message
    assert "raise the key's [limits.usd_per_day]" in message, message
    wait = int(answer.headers["retry-after"])
    assert abs(wait - (reset - now).total_seconds()) < 5


async def test_usage_shows_the_spend_that_reached_the_budget_and_no_more(
    spent_key: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    http, _ = spent_key
    report = (await http.get("/_usage", params={"by": "day"}, headers=BOOT)).json()
    [line] = [u for u in report["usage"] if u["key_name"] == "team-a"]
    assert line["statuses"] == {"200": 4, "429": 1}
    assert 4 * 12_000 < line["cost_micros"] <= 50_000


async def test_a_warning_header_comes_at_80_percent_of_a_budget(tmp_path: Path, model: CodingModel) -> None:
    async with app_client(keyed(tmp_path)) as http:
        await coder(http, model)
        headers = await budget_key(http, usd_per_month="0.1")
        answers = [await http.post("/v1/chat/completions", json=openai_chat(), headers=headers) for _ in range(7)]
    assert [a.status_code for a in answers] == [200] * 7
    warned = ["x-hfgate-budget-warning" in a.headers for a in answers]
    # $0.012 each, reserved at ~$0.0122: the 7th reservation takes the month past $0.08
    assert warned == [False] * 6 + [True]
    assert "API key [team-a] (id [" in answers[-1].headers["x-hfgate-budget-warning"]
    assert "monthly budget $0.10: 8" in answers[-1].headers["x-hfgate-budget-warning"]


async def test_an_endpoints_budget_holds_for_every_caller_of_an_open_gateway(
    tmp_path: Path, model: CodingModel
) -> None:
    settings = Settings(data_dir=tmp_path, provision_defaults=False, log_format="text", log_level="warning")
    async with app_client(settings) as http:
        await coder(http, model, budget={"usd_per_day": 0.03})
        statuses = [(await http.post("/v1/chat/completions", json=openai_chat())) for _ in range(3)]
    assert [a.status_code for a in statuses] == [200, 200, 429]
    message = statuses[-1].json()["error"]["message"]
    assert "inference endpoint [coder]" in message
    assert "[service_settings.budget.usd_per_day]" in message


@pytest.mark.parametrize(
    ("limits", "named"), [({"usd_per_day": -1}, "usd_per_day"), ({"usd_per_month": "lots"}, "usd_per_month")]
)
async def test_a_bad_key_budget_is_a_400_naming_the_field(
    tmp_path: Path, model: CodingModel, limits: dict[str, object], named: str
) -> None:
    async with app_client(keyed(tmp_path)) as http:
        answer = await http.post(
            "/_security/api_key", json={"name": "x", "roles": ["infer"], "limits": limits}, headers=BOOT
        )
    assert answer.status_code == 400
    assert f"[limits.{named}] must be an amount of USD" in answer.text


async def test_budgets_hold_within_one_request_across_three_replicas_under_concurrent_load(
    tmp_path: Path, model: CodingModel
) -> None:
    shared = {"redis_url": REDIS, "redis_prefix": f"test-{uuid.uuid4().hex[:8]}:", "replicas": 3}
    async with AsyncExitStack() as stack:
        replicas = [await stack.enter_async_context(app_client(keyed(tmp_path, **shared))) for _ in range(3)]
        await coder(replicas[0], model)
        headers = await budget_key(replicas[0], usd_per_day="0.5")
        statuses: list[int] = []
        while not statuses or 200 in statuses[-30:]:  # waves of 30 at once until a whole wave is refused
            wave = [
                replicas[n % 3].post("/v1/chat/completions", json=openai_chat(), headers=headers) for n in range(30)
            ]
            statuses += [a.status_code for a in await asyncio.gather(*wave)]
        assert set(statuses) == {200, 429}
        for replica in replicas:  # each writes its own tally when asked; the last answer holds all three
            usage = (await replica.get("/_usage", headers=BOOT)).json()["usage"]
    spent = sum(u["cost_micros"] for u in usage if u["key_name"] == "team-a")
    one_request = 12_000 + 200  # a request's bound: 12 written at 1000 µ$, ~190 bytes of body at 1 µ$
    assert 500_000 - one_request <= spent <= 500_000, spent
    assert statuses.count(200) == spent // 12_000  # every admitted request was paid for, none beyond


def test_a_month_resets_on_the_first() -> None:
    assert resets_at("month", datetime(2026, 12, 31, 23, 0, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)
    assert resets_at("day", datetime(2026, 11, 26, 6, 0, tzinfo=UTC)) == datetime(2026, 11, 27, tzinfo=UTC)
    assert resets_at("month", datetime(2026, 2, 1, tzinfo=UTC)) - timedelta(days=28) == datetime(2026, 2, 1, tzinfo=UTC)


async def test_the_keys_page_shows_each_keys_budget(spent_key: tuple[httpx.AsyncClient, dict[str, str]]) -> None:
    http, _ = spent_key
    page = await http.get("/ui/keys", headers=BOOT)
    assert page.status_code == 200
    assert "$0.05 a day, ∞ a month" in page.text
