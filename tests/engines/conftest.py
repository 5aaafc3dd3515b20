"""Real serving engines for this package: every installed one starts on a free loopback port when the
first test needs one (all together, so their start-ups overlap), and stops after the package's last
test (so their memory is free for the rest of the suite).

``HFGATE_ENGINE_URL_<NAME>`` (``VLLM_CHAT``, ``VLLM_EMBED``, ``INFINITY``, ``INFINITY_CLIP``…) uses a server already
running instead (started with the same flags as :data:`tests.support.engine_servers.ENGINES`).
Tests skip, naming the command that installs it, where an engine is not installed.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from hfgate.config import Settings
from tests.conftest import app_client
from tests.support.engine_servers import ENGINES, Launched, launch, missing_reason
from tests.support.live_server import live_server


def _given(name: str) -> str | None:
    return os.environ.get("HFGATE_ENGINE_URL_" + name.upper().replace("-", "_"))


@pytest.fixture(scope="package")
def engine_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Launched]]:
    """Every installed engine not given by url, started at once."""
    logs = tmp_path_factory.mktemp("engine-logs")
    wanted = [name for name in ENGINES if missing_reason(name) is None and _given(name) is None]
    launched = {name: launch(name, logs=logs) for name in wanted}
    try:
        yield launched
    finally:
        for each in launched.values():
            each.stop()


def engine_url(fleet: dict[str, Launched], name: str) -> str:
    """The base url of server ``name``, once it answers; skips with the reason when not installed."""
    given = _given(name)
    if given:
        return given
    reason = missing_reason(name)
    if reason is not None:
        pytest.skip(reason)
    return fleet[name].ready()


@pytest.fixture(scope="package")
def vllm_chat(engine_fleet: dict[str, Launched]) -> str:
    """vLLM's generate runner serving SmolLM2-135M-Instruct (float32, hermes tool calls enabled)."""
    return engine_url(engine_fleet, "vllm-chat")


@pytest.fixture(scope="package")
def vllm_chat_spare(engine_fleet: dict[str, Launched]) -> Launched:
    """A second vLLM serving SmolLM2, which the failover test kills."""
    engine_url(engine_fleet, "vllm-chat-spare")
    return engine_fleet["vllm-chat-spare"]


@pytest.fixture(scope="package")
def vllm_embed(engine_fleet: dict[str, Launched]) -> str:
    """vLLM's pooling runner serving all-MiniLM-L6-v2 (max_model_len 256)."""
    return engine_url(engine_fleet, "vllm-embed")


@pytest.fixture(scope="package")
def vllm_classify(engine_fleet: dict[str, Launched]) -> str:
    """vLLM's pooling runner serving the tiny BERT classifier (``/classify``), named by its directory."""
    return engine_url(engine_fleet, "vllm-classify")


@pytest.fixture(scope="package")
def vllm_whisper(engine_fleet: dict[str, Launched]) -> str:
    """vLLM serving the tiny Whisper (``/v1/audio/transcriptions``); only with HFGATE_ENGINE_VLLM_WHISPER=1."""
    return engine_url(engine_fleet, "vllm-whisper")


@pytest.fixture(scope="package")
def llamacpp_chat(engine_fleet: dict[str, Launched]) -> str:
    """ggml-org's llama-server serving SmolLM2's Q4_1 GGUF (--jinja: tools by the model's template)."""
    return engine_url(engine_fleet, "llamacpp-chat")


@pytest.fixture(scope="package")
def infinity(engine_fleet: dict[str, Launched]) -> str:
    """infinity's torch engine serving all-MiniLM-L6-v2."""
    return engine_url(engine_fleet, "infinity")


@pytest.fixture
def infinity_small_queue(engine_fleet: dict[str, Launched]) -> Iterator[str]:
    """infinity serving all-MiniLM-L6-v2 that refuses requests past 8 queued texts (INFINITY_QUEUE_SIZE); one
    test's: killed after it, so the work queued to overload it does not keep the CPU from later tests (busy,
    it takes SIGTERM only after 30 s)."""
    yield engine_url(engine_fleet, "infinity-small-queue")
    if "infinity-small-queue" in engine_fleet:
        engine_fleet["infinity-small-queue"].kill()


@pytest.fixture(scope="package")
def infinity_clip(engine_fleet: dict[str, Launched]) -> str:
    """infinity serving the tiny random CLIP (``tests.support.tiny_clip``): texts and images in one space."""
    return engine_url(engine_fleet, "infinity-clip")


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The whole app on a fresh registry (no default endpoints)."""
    settings = Settings(data_dir=tmp_path, provision_defaults=False, registry_cache_seconds=0, log_format="text")
    async with app_client(settings) as http:
        yield http


@pytest.fixture
async def live_api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The whole app served over real HTTP on a fresh registry: for tests that watch a stream as it
    arrives (httpx's in-process transport hands a response over only once its body is complete)."""
    settings = Settings(data_dir=tmp_path, provision_defaults=False, registry_cache_seconds=0, log_format="text")
    with live_server(settings) as url:
        async with httpx.AsyncClient(base_url=url, timeout=300) as http:
            yield http


@pytest.fixture
async def engine() -> AsyncIterator[httpx.AsyncClient]:
    """A plain client for asking an engine directly."""
    async with httpx.AsyncClient(timeout=120) as http:
        yield http
