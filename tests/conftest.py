"""Fixtures shared by every test: real databases, the real app, real models loaded once."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from hfgate.api.app import create_app
from hfgate.config import Settings
from hfgate.process.runtime import new_context
from hfgate.services import SERVICES, ServiceContext
from tests.fakes.coding_model import CodingModel
from tests.fakes.service import FakeService
from tests.support.coding_gateway import coding_gateway
from tests.support.postgres import fresh_database

# pytest-xdist's workers start with COLUMNS=80 and LINES=24 (seen here; a serial run has neither), which
# would fix the CLI's rich console at 80 columns when it is imported, before a test's CliRunner gives its own.
for _size in ("COLUMNS", "LINES"):
    os.environ.pop(_size, None)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Two workers (and the children they start) share 2 cores, each process with a thread per core: torch's
# OpenMP threads that spin while they wait for work take the cores from the other process. With them
# sleeping instead, generation's engine-choice test beside a busy torch process took 26-28 s, against
# 158-160 s spinning (docs/testing.md). Set before any test imports torch; the children inherit it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# A served process the suite stops (SIGTERM) stops accepting at once, as before the drain had a delay
# meant for load balancers; tests/process/test_drain.py sets the delay it tests.
os.environ.setdefault("HFGATE_DRAIN_DELAY_SECONDS", "0")
# The embedding cache is on by default; tests that count upstream calls or inject faults per call expect
# every text computed, so it is off unless a test asks for it (tests/embed_cache turn it on).
os.environ.setdefault("HFGATE_EMBED_CACHE", "false")
# Every app and server the suite starts (in-process or child) reuses one measurement of the local
# engines, kept beside the virtualenv between sessions: the default models' engines are measured once per
# machine (2-25 minutes on 2 shared cores), not at each session's start; tests that measure use folders
# of their own.
_CHOICES = Path(__file__).resolve().parents[1] / ".venv" / "test-engine-choices"
_CHOICES_DIR = _CHOICES if _CHOICES.parent.is_dir() else Path(tempfile.mkdtemp(prefix="hfgate-test-engine-choices-"))
os.environ.setdefault("HFGATE_LOCAL_ENGINE_CHOICES_DIR", str(_CHOICES_DIR))
# ...and serves it as it is: the suite keeps the CPU busy while a model is measured in the background, so
# a measurement retaken "because the machine was busy" would only switch a later test's model to
# "measuring" (tests/local/measuring/test_load.py covers re-measuring with its own records).
os.environ.setdefault("HFGATE_LOCAL_ENGINE_MEASURE_ATTEMPTS", "1")


# The fast tier (`make check`) leaves out what needs more than this process: a real model loaded (the
# session's shared context, ~2 minutes of engine measurement on 2 cores), a browser, a database or Redis
# server, or a real serving engine. Marked here from the fixtures a test uses, so a new test is filed by
# what it needs without a mark of its own; tests that load a model by other means carry `slow` themselves.
_NEEDS = {
    "shared_context": "slow",
    "live_url": "slow",
    "redis_server": "services",
    "redis_url": "services",
    "page": "browser",
    "browser": "browser",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        needs = {_NEEDS[name] for name in getattr(item, "fixturenames", ()) if name in _NEEDS}
        if "database_url" in getattr(item, "fixturenames", ()) and "[postgres" in item.nodeid:
            needs.add("postgres")
        for mark in sorted(needs):
            item.add_marker(mark)


@pytest.fixture(scope="session")
def shared_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceContext]:
    """Loaded models and the compute thread, shared by every app in the session (load each model once)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("models-data"))
    # One xdist worker measures, the other waits and reads its records (the folder is shared, see above;
    # hfgate.local.one_maker: as the workers of `hfgate serve --workers 2` do).
    measure_default_embedding_engines(settings)
    measure_default_generation_engines(settings)
    context = new_context(settings)
    try:
        yield context
    finally:
        context.close()


def measure_default_embedding_engines(settings: Settings) -> None:
    """Time MiniLM's engines once, before any test creates an endpoint on it: a first load on a machine
    measures every engine, which would otherwise fall inside one test's request timeout."""
    from hfgate.local.catalog import resolve_model
    from hfgate.local.embedding.engine import EngineOptions
    from hfgate.local.embedding.engine_choice import choose_engine
    from hfgate.local.embedding.pipeline import read_pipeline
    from hfgate.local.embedding.tokens import model_max_length

    path = resolve_model("all-MiniLM-L6-v2").path
    pipeline = read_pipeline(path, fallback_max_length=model_max_length(path))
    options = EngineOptions(
        pipeline=pipeline,
        cache_dir=settings.data_dir / "models",
        threads=settings.local_threads,
        measure_attempts=settings.local_engine_measure_attempts,
    )
    choose_engine(path, options=options, choices_dir=settings.local_engine_choices_dir)


def measure_default_generation_engines(settings: Settings) -> None:
    """Choose SmolLM2's generation engine once (exports and timings, ~1-2 min), before any test creates a
    generation endpoint on it: ``engine: auto`` measures at create, within the validation timeout. On the
    device the service runs it on (a GPU where torch sees one and vLLM is not installed)."""
    from hfgate.local.catalog import resolve_model
    from hfgate.local.device import resolve_device
    from hfgate.local.generation.engine_choice import choose_engine
    from hfgate.local.generation.gguf_cache import ensure_converted

    models = settings.data_dir / "models"
    location = resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct")
    assert location.gguf_file is not None
    choose_engine(
        ensure_converted(location, models_dir=models),
        task="text-generation",
        cache_dir=models,
        threads=settings.local_threads,
        choices_dir=settings.local_engine_choices_dir,
        source=location.path / location.gguf_file,  # as the service files it: one measurement per session
        attempts=settings.local_engine_measure_attempts,
        device=resolve_device(settings.local_device),
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """``None`` (the default SQLite file in data_dir) or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    with fresh_database() as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", log_format="text", registry_cache_seconds=0)


@pytest.fixture
async def client(settings: Settings, shared_context: ServiceContext) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on a fresh app (SQLite in a temp dir), lifespan run."""
    async with app_client(settings, shared_context) as http:
        yield http


class app_client:  # noqa: N801 - used like a function: ``async with app_client(...)``
    """A started app and an httpx client that talks to it in-process."""

    def __init__(self, settings: Settings, context: ServiceContext | None = None) -> None:
        self.app = create_app(settings, context=context)
        self._lifespan = self.app.router.lifespan_context(self.app)
        self._http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://hfgate")

    async def __aenter__(self) -> httpx.AsyncClient:
        await self._lifespan.__aenter__()
        return self._http

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()
        await self._lifespan.__aexit__(None, None, None)


@pytest.fixture
async def fake_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on a fresh app (SQLite in a temp dir, no default endpoints) whose ``fake`` service
    answers at once by rules a test can predict (``tests/fakes/service.py``): the faces, orchestrator,
    cache and keys run for real, with no model loaded, so these tests are in the fast tier."""
    monkeypatch.setitem(SERVICES, FakeService.name, FakeService)
    settings = Settings(
        data_dir=tmp_path / "data",
        log_format="text",
        registry_cache_seconds=0,
        provision_defaults=False,
        preload_models=False,
    )
    async with app_client(settings) as http:
        yield http


@pytest.fixture(scope="module")
def coding(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, CodingModel]]:
    """A live hfgate (a module's own) whose ``coder`` endpoint is a ``hugging_face`` endpoint by url on the
    stand-in coding model, and that model (``tests/support/coding_gateway.py``)."""
    with coding_gateway(tmp_path_factory.mktemp("coding")) as (url, model):
        yield url, model


@pytest.fixture(scope="session")
def live_url(tmp_path_factory: pytest.TempPathFactory, shared_context: ServiceContext) -> Iterator[str]:
    """A real hfgate on 127.0.0.1 (SQLite, default endpoints), shared by the session's HTTP tests."""
    from tests.support.live_server import live_server

    settings = Settings(data_dir=tmp_path_factory.mktemp("live"), log_format="text", log_level="warning")
    with live_server(settings, context=shared_context) as url:
        yield url
