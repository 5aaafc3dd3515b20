"""An app with the embedding cache on, a local MiniLM endpoint on an exact engine, and the fake TEI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfgate.config import Settings
from hfgate.embed_cache.disk_tier import DiskTier
from hfgate.process.runtime import new_context
from hfgate.services import ServiceContext
from tests.conftest import app_client
from tests.fakes.hf_fixtures import fake_hf, fake_hf_server, hf_settings
from tests.fakes.hf_server import TOKEN, FakeHF

__all__ = ["fake_hf", "fake_hf_server"]

LOCAL = "mini"
TEI = "tei"
CHUNKING = {"strategy": "word", "max_chunk_size": 12, "overlap": 4}
# torch: an exact engine, pinned so that no engine measurement runs (or switches engine) mid-test.
# A first model load on a busy machine can take longer than the 30 s validation default.
SLOW_LOAD = {"timeout": "300s"}
LOCAL_BODY = {
    "service": "local",
    "service_settings": {"model": "all-MiniLM-L6-v2", "engine": "torch"},
    "chunking_settings": CHUNKING,
}


@pytest.fixture(scope="module")
def local_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceContext]:
    """MiniLM loaded once for the module."""
    context = new_context(Settings(data_dir=tmp_path_factory.mktemp("models")))
    try:
        yield context
    finally:
        context.close()


def cache_settings(base: str, data_dir: Path, **more: object) -> Settings:
    """The fake's urls, no default endpoints, the cache on (the test suite turns it off elsewhere)."""
    update = {"provision_defaults": False, "registry_cache_seconds": 0, "log_format": "text", "embed_cache": True}
    return hf_settings(base, data_dir).model_copy(update=update | more)


def tei_body(base: str, **settings: object) -> dict[str, object]:
    return {
        "service": "hugging_face",
        "service_settings": {"url": f"{base}/tei", "api_key": TOKEN, **settings},
        "chunking_settings": CHUNKING,
    }


@pytest.fixture
async def api(fake_hf: FakeHF, tmp_path: Path, local_context: ServiceContext) -> AsyncIterator[httpx.AsyncClient]:
    """The app with endpoints ``mini`` (local, torch) and ``tei`` (the fake TEI), nothing cached yet."""
    async with app_client(cache_settings(fake_hf.base, tmp_path / "data"), local_context) as http:
        for name, body in ((LOCAL, LOCAL_BODY), (TEI, tei_body(fake_hf.base))):
            answer = await http.put(f"/_inference/text_embedding/{name}", params=SLOW_LOAD, json=body)
            assert answer.status_code == 200, answer.text
        fake_hf.reset()
        yield http


class CountingDisk(DiskTier):
    """The disk tier, counting the keys of each read of its directory (a lookup on the loop's thread,
    through ``get_now``, or in a worker thread)."""

    calls: list[int]

    def __init__(self, path: Path, **settings: Any) -> None:
        super().__init__(path, **settings)
        self.calls = []

    def _select(self, keys: Sequence[str]) -> list[bytes | None]:
        self.calls.append(len(keys))
        return super()._select(keys)
