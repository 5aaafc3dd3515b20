"""Fixtures around the fake Hugging Face server and a ``hugging_face`` service that talks to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from hfgate.config import Settings
from hfgate.ratelimit.pacing import RateLimiters
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import ServiceContext
from hfgate.services.hugging_face.service import HuggingFaceService
from hfgate.tasks import TaskType
from hfgate.upstream.http.client import UpstreamClient
from hfgate.upstream.http.retry import RetryPolicy
from tests.conftest import app_client
from tests.fakes.hf_server import TOKEN, FakeHF

# Short waits so that retry tests take milliseconds; the shape of the policy is what is tested.
FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)


@pytest.fixture(scope="session")
def fake_hf_server() -> Iterator[FakeHF]:
    server = FakeHF()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_hf(fake_hf_server: FakeHF) -> Iterator[FakeHF]:
    """The fake server, with no faults queued and no requests recorded."""
    fake_hf_server.reset()
    try:
        yield fake_hf_server
    finally:
        fake_hf_server.reset()


def hf_settings(base: str, data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        hf_inference_url=f"{base}/hf-inference",
        hf_hub_url=f"{base}/hub",
        hf_router_url=f"{base}/router",
        hf_endpoints_url=f"{base}/endpoints/v2",
    )


@pytest.fixture
async def hf_service(fake_hf: FakeHF, tmp_path: Path) -> AsyncIterator[HuggingFaceService]:
    """A ``hugging_face`` service whose hosted, Hub and endpoints URLs point at the fake server."""
    context = ServiceContext(limiters=RateLimiters(), settings=hf_settings(fake_hf.base, tmp_path))
    service = HuggingFaceService(context, upstream=UpstreamClient(retry=FAST_RETRY))
    try:
        yield service
    finally:
        await service.aclose()


def endpoint(task_type: TaskType, inference_id: str = "hf-test", *, token: str = TOKEN, **settings: object) -> Endpoint:
    """An endpoint record of the ``hugging_face`` service, as the orchestrator would pass it."""
    return Endpoint(
        inference_id=inference_id,
        task_type=task_type,
        service="hugging_face",
        service_settings={"rate_limit": {"requests_per_minute": 1_000_000}, **settings},
        secrets={"api_key": token},
    )


@pytest.fixture(name="api")
async def hf_api(fake_hf: FakeHF, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The whole app, its Hugging Face URLs on the fake (no default endpoints, no registry cache)."""
    settings = hf_settings(fake_hf.base, tmp_path).model_copy(
        update={"provision_defaults": False, "registry_cache_seconds": 0, "log_format": "text"}
    )
    async with app_client(settings) as http:
        yield http
