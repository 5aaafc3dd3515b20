"""What the Hub refuses, and what hfgate refuses before fetching weights, answered at create with the
setting to change."""

from __future__ import annotations

from pathlib import Path

from hfgate.config import Settings
from tests.conftest import app_client
from tests.local.hub.conftest import CUSTOM, TINY, wait_until_served
from tests.support.hub_server import TestHub

GATED = "test-org/gated-bert"


async def create(settings: Settings, service_settings: dict[str, str]) -> tuple[int, str]:
    async with app_client(settings) as client:
        response = await client.put(
            "/_inference/text_embedding/e", json={"service": "local", "service_settings": service_settings}
        )
        return response.status_code, response.json().get("error", {}).get("reason", "")


async def test_a_gated_model_without_a_token_is_refused_naming_the_api_key_setting(
    hub: TestHub, hub_settings: Settings, hub_models: dict[str, Path]
) -> None:
    hub.add(GATED, hub_models["tiny"], gated_token="hf_test_token")
    status, reason = await create(hub_settings, {"model": GATED})
    assert status == 403
    assert "gated" in reason
    assert "[service_settings.api_key]" in reason
    assert "HF_TOKEN" in reason
    assert not hub.gets("/model.safetensors")


async def test_a_gated_model_is_served_with_its_token_as_the_api_key_secret(
    hub: TestHub, hub_settings: Settings, hub_models: dict[str, Path]
) -> None:
    hub.add(GATED, hub_models["tiny"], gated_token="hf_test_token")
    settings = {"model": GATED, "engine": "torch", "api_key": "hf_test_token"}
    async with app_client(hub_settings) as client:
        body = {"service": "local", "service_settings": settings}
        created = await client.put("/_inference/text_embedding/g", json=body)
        assert created.status_code == 200, created.text
        assert "api_key" not in created.json()["service_settings"]
        await wait_until_served(client, "g")


async def test_a_missing_repository_is_a_404_naming_the_model_setting(hub: TestHub, hub_settings: Settings) -> None:
    status, reason = await create(hub_settings, {"model": "test-org/no-such-model"})
    assert status == 404
    assert "[service_settings.model] [test-org/no-such-model] is not a model on the Hub" in reason


async def test_a_missing_revision_is_a_404_naming_the_revision_setting(hub: TestHub, hub_settings: Settings) -> None:
    status, reason = await create(hub_settings, {"model": TINY, "revision": "v9"})
    assert status == 404
    assert "[service_settings.revision] [v9] is not a branch, tag or commit of [test-org/tiny-bert]" in reason


async def test_an_architecture_needing_custom_code_is_refused_before_any_weights_are_fetched(
    hub: TestHub, hub_settings: Settings
) -> None:
    status, reason = await create(hub_settings, {"model": CUSTOM})
    assert status == 400
    assert "auto_map" in reason
    assert "trust_remote_code" in reason
    commit = hub.repos[CUSTOM].refs["main"]
    assert [s.path for s in hub.gets("/config.json")] == [f"/{CUSTOM}/resolve/{commit}/config.json"]
    assert not hub.gets("/model.safetensors")


async def test_a_missing_directory_is_still_refused_at_create_not_sent_to_the_hub(
    hub: TestHub, hub_settings: Settings
) -> None:
    status, reason = await create(hub_settings, {"model": "/nowhere/model"})
    assert status == 400
    assert "[service_settings.model] [/nowhere/model] is neither a model directory" in reason
    assert not hub.seen


async def test_a_hub_that_cannot_be_reached_is_a_502_naming_the_hub_not_an_internal_error(
    hub_settings: Settings,
) -> None:
    unreachable = hub_settings.model_copy(update={"hf_hub_url": "http://127.0.0.1:9"})  # nothing listens there
    status, reason = await create(unreachable, {"model": TINY})
    assert status == 502, reason
    assert f"The Hub could not be reached for [{TINY}]" in reason
