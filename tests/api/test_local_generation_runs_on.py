"""Where an in-process generation model runs, through the API: ``service_settings.device`` in
``GET _inference/<id>``, TGI's ``model_device_type`` in ``/hf/<id>/info`` and "Runs on" on the endpoint's
page, once loaded (the first CUDA GPU where torch sees one, else the CPU: the settings' default ``auto``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfgate.config import Settings
from hfgate.local.device import resolve_device
from tests.conftest import app_client
from tests.local.generation.tiny_models import save_tiny_llama

pytestmark = pytest.mark.slow  # loads a (tiny) model


async def test_a_loaded_generation_model_shows_its_device_in_the_endpoint_hf_info_and_the_page(
    tmp_path: Path,
) -> None:
    model = save_tiny_llama(tmp_path / "tiny-llama")
    settings = Settings(data_dir=tmp_path / "data", provision_defaults=False, log_format="text")
    device = resolve_device(settings.local_device)
    body = {"service": "local", "service_settings": {"model": str(model), "engine": "transformers", "dtype": "float32"}}
    async with app_client(settings) as api:
        assert (await api.put("/_inference/completion/tiny?timeout=120s", json=body)).status_code == 200
        generated = await api.post("/hf/tiny/generate", json={"inputs": "the fox", "parameters": {"max_new_tokens": 2}})
        assert generated.status_code == 200, generated.text
        shown = (await api.get("/_inference/completion/tiny")).json()["endpoints"][0]["service_settings"]
        info = (await api.get("/hf/tiny/info")).json()
        page = await api.get("/ui/endpoints/tiny")
    assert shown["device"] == device
    assert info["model_device_type"] == device
    assert f"<code>{device}</code>: {shown['engine_choice']}" in page.text
