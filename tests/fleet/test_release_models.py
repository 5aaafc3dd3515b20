"""Local models of a deleted or changed endpoint are released on every replica sharing the database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hfgate.config import Settings
from hfgate.local.cache import ModelCache
from tests.conftest import app_client
from tests.support.postgres import fresh_database
from tests.support.waiting import until

pytestmark = pytest.mark.postgres

# Each replica's data directory is new: its first load exports the model to ONNX, which took more than the
# default 30 s request timeout on a loaded machine (a 400 in a clean CI run).
LOAD = {"timeout": "600s"}
TEXT = {"input": "x"}
BODY = {"service": "local", "service_settings": {"model": "sentence-transformers/all-MiniLM-L6-v2"}}


def _loaded(client: app_client) -> list[str]:
    return [key for key in client.app.state.runtime.context.shared(ModelCache).loaded() if key.startswith("embedding:")]


async def test_a_delete_on_one_replica_unloads_the_model_on_another(tmp_path: Path) -> None:
    with fresh_database() as url:
        common = {"database_url": url, "secret_key": "k", "provision_defaults": False, "registry_cache_seconds": 60}
        a = app_client(Settings(data_dir=tmp_path / "a", **common))  # type: ignore[arg-type]
        b = app_client(Settings(data_dir=tmp_path / "b", **common))  # type: ignore[arg-type]
        async with a as api_a, b as api_b:
            assert (await api_a.put("/_inference/text_embedding/mini", json=BODY, params=LOAD)).status_code == 200
            assert (await api_a.put("/_inference/text_embedding/mini2", json=BODY, params=LOAD)).status_code == 200
            assert (await api_b.post("/_inference/text_embedding/mini", json=TEXT, params=LOAD)).status_code == 200
            assert len(_loaded(b)) == 1
            assert (await api_a.delete("/_inference/mini")).status_code == 200
            await asyncio.sleep(0.1)
            assert len(_loaded(b)) == 1, "mini2 still needs the model"
            assert (await api_b.post("/_inference/text_embedding/mini2", json=TEXT, params=LOAD)).status_code == 200
            assert (await api_a.delete("/_inference/mini2")).status_code == 200
            await until(lambda: _loaded(b) == [], what="replica b unloading the model")
            assert _loaded(a) == []
