"""``GET /ready``: 200 once the database answers and the default endpoints' models are loaded (when the
process preloads them), 503 naming what is missing; open without a key, as ``/health``."""

from __future__ import annotations

import re
from pathlib import Path

from hfgate.config import Settings
from hfgate.local.cache import ModelCache
from hfgate.services import ServiceContext
from tests.conftest import app_client

DEFAULTS = (".all-minilm-l6-v2", ".smollm2-135m-instruct")


async def test_ready_once_the_default_models_are_preloaded_and_each_shows_its_engine_choice(
    tmp_path: Path, shared_context: ServiceContext
) -> None:
    settings = Settings(data_dir=tmp_path, preload_models=True, api_keys=["k"], registry_cache_seconds=0)
    app = app_client(settings, shared_context)
    async with app as http:
        await app.app.state.runtime.preloading
        response = await http.get("/ready")
        assert (response.status_code, response.json()) == (200, {"status": "ready"}), "no key needed"
        shown = await http.get("/_inference", headers={"Authorization": "Bearer k"})
        choices = {e["inference_id"]: e["service_settings"].get("engine_choice") for e in shown.json()["endpoints"]}
        for inference_id in DEFAULTS:
            assert re.match(r"[a-z0-9.()-]+( \(float32\))?, (cached|measured) on ", choices[inference_id]), choices


async def test_not_ready_while_a_default_model_is_not_loaded(tmp_path: Path, shared_context: ServiceContext) -> None:
    settings = Settings(data_dir=tmp_path, preload_models=True, registry_cache_seconds=0)
    app = app_client(settings, shared_context)
    async with app as http:
        await app.app.state.runtime.preloading
        cache = shared_context.shared(ModelCache)
        (smollm2,) = [key for key in cache.loaded() if "smollm2" in key and key.endswith(":auto:0.9999")]
        cache.release(smollm2)  # as the memory budget evicts a model
        response = await http.get("/ready")
        assert response.status_code == 503
        assert response.json() == {
            "status": "not ready",
            "missing": ["model of [.smollm2-135m-instruct]: not loaded yet"],
        }
        await http.delete("/_inference/.smollm2-135m-instruct")
        assert (await http.get("/ready")).status_code == 200, "a deleted default is not needed"


async def test_without_preloading_only_the_database_counts(tmp_path: Path) -> None:
    async with app_client(Settings(data_dir=tmp_path, preload_models=False)) as http:
        assert (await http.get("/ready")).json() == {"status": "ready"}


async def test_not_ready_when_the_database_cannot_be_opened(tmp_path: Path) -> None:
    app = app_client(Settings(data_dir=tmp_path))
    async with app as http:
        runtime = app.app.state.runtime
        database = Path(runtime.engine.url.database)
        _swap(database, tmp_path / "moved.db")  # a directory where the file was: SQLite cannot open it
        runtime.engine.dispose()  # new connections, so that the pool holds none to the moved file
        response = await http.get("/ready")
        assert response.status_code == 503
        (missing,) = response.json()["missing"]
        assert missing.startswith("database: The endpoint registry (database) is unreachable"), missing
        _swap(database, tmp_path / "moved.db")


def _swap(database: Path, aside: Path) -> None:
    """Move the database file aside and put a directory in its place, or the other way back."""
    if database.is_dir():
        database.rmdir()
        aside.rename(database)
    else:
        database.rename(aside)
        database.mkdir()
