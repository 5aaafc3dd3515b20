"""A hosted chat model's price is read from the router's model list (``GET /v1/models/{id}``, which
publishes ``pricing: {input, output}`` per provider: huggingface/hub-docs
``docs/inference-providers/hub-api.md``), played by ``tests/fakes/router.py``; an operator's price wins."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfgate.upstream.hub.router_prices import parse_router_prices, router_price
from tests.conftest import app_client
from tests.fakes.hf_fixtures import fake_hf, fake_hf_server, hf_settings
from tests.fakes.hf_server import TOKEN, FakeHF

__all__ = ["fake_hf", "fake_hf_server"]
LLAMA = "meta-llama/Llama-3.1-8B-Instruct"  # together and novita live (cerebras in error) in the fake


@pytest.fixture
async def gateway(fake_hf: FakeHF, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = hf_settings(fake_hf.base, tmp_path).model_copy(
        update={"provision_defaults": False, "log_format": "text"}
    )
    async with app_client(settings) as http:
        yield http


async def create(http: httpx.AsyncClient, name: str, **settings: Any) -> dict[str, Any]:
    body = {"service": "hugging_face", "service_settings": {"api_key": TOKEN, "model_id": LLAMA, **settings}}
    created = await http.put(f"/_inference/chat_completion/{name}", json=body)
    assert created.status_code == 200, created.text
    found: dict[str, Any] = created.json()["service_settings"]
    return found


async def test_the_chosen_providers_published_price_is_recorded(gateway: httpx.AsyncClient) -> None:
    settings = await create(gateway, "llama")
    assert settings["served_by"] == "together"
    assert settings["price"] == {"input": 0.18, "output": 0.18, "source": "router /v1/models: together"}


async def test_a_router_policy_records_the_dearest_live_providers_price(gateway: httpx.AsyncClient) -> None:
    settings = await create(gateway, "cheap", provider="cheapest")
    # novita (0.02/0.05) and together (0.18/0.18) are live; cerebras is in error and not counted
    assert settings["price"] == {
        "input": 0.18,
        "output": 0.18,
        "source": "router /v1/models: dearest of novita, together",
    }


async def test_an_operators_price_is_kept_and_the_router_not_asked(gateway: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    settings = await create(gateway, "mine", price={"input": 0.5, "output": 1})
    assert settings["price"] == {"input": 0.5, "output": 1.0}
    assert not fake_hf.hits(f"/router/v1/models/{LLAMA}")


def test_providers_without_a_price_or_not_live_are_left_out() -> None:
    body = {"providers": [
        {"provider": "novita", "status": "live", "pricing": {"input": 1.69, "output": 3.38}},
        {"provider": "featherless-ai", "status": "live"},
        {"provider": "groq", "status": "error", "pricing": {"input": 1, "output": 1}},
    ]}  # fmt: skip
    prices = parse_router_prices(body)
    assert prices == {"novita": (1.69, 3.38)}
    assert router_price(prices, "featherless-ai") is None
