"""``hfgate pull`` fetches ahead of time with a progress bar; ``hfgate models`` lists the cache and who
uses each model; ``hfgate models rm`` refuses a model an endpoint uses, naming the endpoint."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from hfgate.cli import app
from hfgate.config import Settings
from tests.conftest import app_client
from tests.local.hub.conftest import TINY, wait_until_served
from tests.support.hub_server import TestHub

runner = CliRunner()


def hfgate(settings: Settings, *args: str) -> tuple[int, str]:
    env = {
        "HFGATE_DATA_DIR": str(settings.data_dir),
        "HFGATE_HF_HUB_URL": settings.hf_hub_url,
        "HFGATE_HF_HUB_CACHE": str(settings.hf_hub_cache),
        "HFGATE_HF_HUB_OFFLINE": "false",
    }
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_pull_fetches_a_model_with_a_progress_bar_and_models_lists_it(hub: TestHub, hub_settings: Settings) -> None:
    code, out = hfgate(hub_settings, "pull", TINY)
    assert code == 0, out
    commit = hub.repos[TINY].refs["main"]
    assert f"{TINY}@{commit}" in out
    assert re.search(rf"{TINY} ━+ (\d+\.\d)/\1 MB", out), out  # the bar, at its end: all bytes of the total
    assert len(hub.gets("/model.safetensors")) == 1

    code, out = hfgate(hub_settings, "pull", TINY)  # already there: nothing fetched again
    assert code == 0, out
    assert len(hub.gets("/model.safetensors")) == 1

    code, out = hfgate(hub_settings, "models", "--json")
    assert code == 0, out
    (listed,) = json.loads(out)
    assert listed["model"] == TINY
    assert listed["commits"] == [commit]
    assert listed["size_bytes"] > 4_000_000
    assert listed["used_by"] == []


async def test_models_rm_refuses_a_model_an_endpoint_uses_then_removes_it(hub: TestHub, hub_settings: Settings) -> None:
    async with app_client(hub_settings) as client:
        body = {"service": "local", "service_settings": {"model": TINY, "engine": "torch"}}
        assert (await client.put("/_inference/text_embedding/tiny", json=body)).status_code == 200
        await wait_until_served(client, "tiny")
        code, out = hfgate(hub_settings, "models")
        assert code == 0, out
        assert TINY in out
        assert "tiny" in out.split(TINY)[1]
        code, out = hfgate(hub_settings, "models", "rm", TINY)
        assert code == 1
        assert "used by the endpoint(s) [tiny]" in out
        assert (await client.delete("/_inference/tiny")).status_code == 200
    code, out = hfgate(hub_settings, "models", "rm", TINY)
    assert code == 0, out
    assert "removed" in out
    code, out = hfgate(hub_settings, "models", "--json")
    assert json.loads(out) == []


def test_pull_from_a_hub_that_cannot_be_reached_says_so_in_one_line_and_exits_1(hub_settings: Settings) -> None:
    code, out = hfgate(hub_settings.model_copy(update={"hf_hub_url": "http://127.0.0.1:9"}), "pull", TINY)
    assert code == 1
    assert "could not be reached" in " ".join(out.split())
    assert "Traceback" not in out
