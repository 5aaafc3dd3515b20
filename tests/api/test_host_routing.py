"""One model per host: ``HFGATE_HOST_ENDPOINTS`` and ``HFGATE_ENDPOINT_DOMAIN`` send TEI/TGI paths at the
root of an endpoint's host to ``/hf/{id}``; and ``/hf/{id}/info`` names the model a remote server serves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from hfgate.api.gateway import HostNames
from hfgate.config import Settings
from hfgate.services import ServiceContext
from tests.conftest import app_client
from tests.fakes.hf_fixtures import fake_hf, fake_hf_server, hf_api
from tests.fakes.hf_server import TOKEN, FakeHF

__all__ = ["fake_hf", "fake_hf_server", "hf_api"]

MINILM = ".all-minilm-l6-v2"


@pytest.fixture
async def hosted(tmp_path: Path, shared_context: ServiceContext) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        data_dir=tmp_path, log_format="text", host_endpoints={"embed.internal": MINILM}, endpoint_domain="models.test"
    )
    async with app_client(settings, shared_context) as http:
        yield http


async def test_a_mapped_host_serves_its_endpoint_at_the_root(hosted: httpx.AsyncClient) -> None:
    direct = await hosted.post(f"/hf/{MINILM}/embed", json={"inputs": "a cat"})
    by_host = await hosted.post("/embed", json={"inputs": "a cat"}, headers={"Host": "embed.internal:8080"})
    assert by_host.status_code == 200, by_host.text
    assert by_host.json() == direct.json()
    info = await hosted.get("/info", headers={"Host": "embed.internal"})
    assert info.json()["model_id"] == "sentence-transformers/all-MiniLM-L6-v2"


async def test_a_subdomain_of_the_endpoint_domain_names_the_endpoint(hosted: httpx.AsyncClient) -> None:
    root = await hosted.post("/", json={"inputs": "a cat"}, headers={"Host": f"{MINILM}.models.test"})
    assert root.status_code == 200, root.text
    assert len(root.json()[0]) == 384
    unknown = await hosted.post("/embed", json={"inputs": "a cat"}, headers={"Host": "nope.models.test"})
    assert unknown.status_code == 404
    assert "nope" in unknown.json()["error"]


async def test_gateway_paths_and_other_hosts_are_untouched(hosted: httpx.AsyncClient) -> None:
    assert (await hosted.get("/health", headers={"Host": "embed.internal"})).status_code == 200
    endpoints = await hosted.get("/_inference/_all", headers={"Host": "embed.internal"})
    assert endpoints.status_code == 200
    assert (await hosted.post("/embed", json={"inputs": "x"}, headers={"Host": "other.host"})).status_code == 404


def test_host_names_are_matched_without_port_and_case() -> None:
    routing = HostNames(hosts={"Ranker.Internal": "r"}, domain="m.test")
    assert routing.endpoint_of("ranker.internal") == "r"
    assert routing.endpoint_of("my-id.m.test") == "my-id"
    assert routing.endpoint_of("m.test") is None


async def test_info_of_a_remote_endpoint_names_the_served_model(api: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    config = {"service": "hugging_face", "service_settings": {"url": f"{fake_hf.base}/tei", "api_key": TOKEN}}
    assert (await api.put("/_inference/text_embedding/tei", json=config)).status_code == 200
    info = (await api.get("/hf/tei/info")).json()
    assert info["model_id"] == "BAAI/bge-small-en-v1.5"
