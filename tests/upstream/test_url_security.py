"""An endpoint's ``url`` is a request hfgate makes on a user's behalf: where it may and may not go."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from hfgate.config import Settings
from hfgate.errors import UpstreamBadRequestError, UpstreamServerError
from hfgate.ratelimit.pacing import RateLimiters
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import ServiceContext
from hfgate.services.hugging_face.service import HuggingFaceService
from hfgate.tasks import EmbedRequest, TaskType
from hfgate.upstream.http.client import UpstreamClient
from hfgate.upstream.http.transport import AiohttpTransport
from hfgate.upstream.http.url_policy import forbidden_address
from tests.conftest import app_client
from tests.fakes.hostile_upstream import HostileUpstream, hostile

__all__ = ["hostile"]  # the module's fixture


def _create(url: str) -> dict[str, Any]:
    return {"service": "hugging_face", "service_settings": {"url": url, "api_key": "hf_x"}}


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "169.254.0.1", "fe80::1", "fe80::1%eth0", "fd00:ec2::254", "::ffff:169.254.169.254"],
)
def test_link_local_and_metadata_addresses_are_forbidden(address: str) -> None:
    assert forbidden_address(address)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "::1", "fd00:ec2::253", "8.8.8.8", "example.com"])
def test_ordinary_addresses_are_not(address: str) -> None:
    assert not forbidden_address(address)


@pytest.mark.parametrize("query", ["", "?skip_validation=true"])
@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]:8080/",
        "http://[fd00:ec2::254]/",
        "https://169.254.1.1",
    ],
)
async def test_a_metadata_or_link_local_url_is_refused_at_create(settings: Settings, query: str, url: str) -> None:
    async with app_client(settings) as http:
        answer = await http.put(f"/_inference/text_embedding/meta{query}", json=_create(url))
        assert answer.status_code == 400
        assert "link-local or cloud metadata address" in answer.json()["error"]["reason"]
        assert (await http.get("/_inference/meta")).status_code == 404


async def test_allowed_url_hosts_restrict_creates(tmp_path: Path, hostile: HostileUpstream) -> None:
    settings = Settings(data_dir=tmp_path, allowed_url_hosts="127.0.0.*, *.internal", log_format="text")  # type: ignore[arg-type]
    async with app_client(settings) as http:
        refused = await http.put(
            "/_inference/text_embedding/far?skip_validation=true", json=_create("http://example.com/")
        )
        assert refused.status_code == 400
        reason = refused.json()["error"]["reason"]
        assert "[example.com]" in reason
        assert "127.0.0.*, *.internal" in reason
        assert "HFGATE_ALLOWED_URL_HOSTS" in reason
        allowed = await http.put(
            "/_inference/text_embedding/near?skip_validation=true", json=_create(f"{hostile.base}/tei/")
        )
        assert allowed.status_code == 200, allowed.text


def test_allowed_url_hosts_reads_a_comma_separated_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFGATE_ALLOWED_URL_HOSTS", "*.endpoints.huggingface.cloud, tei.internal")
    assert Settings().allowed_url_hosts == ["*.endpoints.huggingface.cloud", "tei.internal"]


class _Names(AbstractResolver):
    """A name server with fixed answers (so a name can point at the metadata address, as DNS can)."""

    def __init__(self, answers: dict[str, str]) -> None:
        self._answers = answers

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        address = self._answers[host]
        return [{"hostname": host, "host": address, "port": port, "family": family, "proto": 0, "flags": 0}]

    async def close(self) -> None:
        return None


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[HuggingFaceService]:
    names = _Names({"metadata.test": "169.254.169.254", "tei.test": "127.0.0.1"})
    upstream = UpstreamClient(transport=AiohttpTransport(resolver=names))
    context = ServiceContext(limiters=RateLimiters(), settings=Settings(data_dir=tmp_path))
    service = HuggingFaceService(context, upstream=upstream)
    try:
        yield service
    finally:
        await service.aclose()


def _endpoint(url: str) -> Endpoint:
    return Endpoint(
        inference_id="guarded",
        task_type=TaskType.TEXT_EMBEDDING,
        service="hugging_face",
        service_settings={"url": url},
        secrets={"api_key": "hf_x"},
    )


@pytest.mark.slow  # seconds of real waiting: in `make test`, not `make check`
async def test_a_name_resolving_to_the_metadata_address_is_refused_when_called(service: HuggingFaceService) -> None:
    with pytest.raises(UpstreamBadRequestError) as caught:
        await service.open(_endpoint("http://metadata.test/latest")).embed(EmbedRequest(texts=("a",), timeout=5))
    assert caught.value.status == 400
    assert "169.254.169.254" in caught.value.reason
    assert "Point [service_settings.url] at a model server" in caught.value.reason


async def test_a_name_resolving_to_an_ordinary_address_is_called(
    service: HuggingFaceService, hostile: HostileUpstream
) -> None:
    result = await service.open(_endpoint(f"http://tei.test:{hostile.port}/tei/")).embed(
        EmbedRequest(texts=("a",), timeout=5)
    )
    assert len(result.embeddings) == 1


async def test_a_redirect_to_another_host_is_not_followed(
    settings: Settings, hostile: HostileUpstream, tmp_path: Path
) -> None:
    context = ServiceContext(limiters=RateLimiters(), settings=settings)
    service = HuggingFaceService(context, upstream=UpstreamClient())
    hostile.hits.clear()
    try:
        with pytest.raises(UpstreamServerError) as caught:
            await service.open(_endpoint(f"{hostile.base}/redirect-away/")).embed(EmbedRequest(texts=("a",), timeout=5))
    finally:
        await service.aclose()
    assert f"to http://localhost:{hostile.port}/tei/" in caught.value.reason
    assert "follows redirects only within the url's own host" in caught.value.reason
    assert hostile.paths("/redirect-away/")
    assert not [hit for hit in hostile.hits if hit.host.startswith("localhost")]  # never followed there


async def test_a_redirect_within_the_same_host_is_followed(settings: Settings, hostile: HostileUpstream) -> None:
    context = ServiceContext(limiters=RateLimiters(), settings=settings)
    service = HuggingFaceService(context, upstream=UpstreamClient())
    hostile.hits.clear()
    try:
        result = await service.open(_endpoint(f"{hostile.base}/redirect-home/")).embed(
            EmbedRequest(texts=("a",), timeout=5)
        )
    finally:
        await service.aclose()
    assert len(result.embeddings) == 1
    assert [hit.path for hit in hostile.hits if hit.body is not None] == ["/redirect-home/", "/tei/"]


async def test_the_redirect_error_reaches_the_client_as_a_502(settings: Settings, hostile: HostileUpstream) -> None:
    async with app_client(settings) as http:
        await http.put(
            "/_inference/text_embedding/away?skip_validation=true", json=_create(f"{hostile.base}/redirect-away/")
        )
        answer = await http.post("/_inference/text_embedding/away", json={"input": "a"})
    assert answer.status_code == 502
    assert "follows redirects only within" in answer.json()["error"]["reason"]


async def test_a_refused_create_stores_nothing(settings: Settings) -> None:
    async with app_client(settings) as http:
        answer = await http.put("/_inference/completion/meta2", json=_create("http://169.254.169.254/"))
        listed = await http.get("/_inference/_all")
    assert answer.status_code == 400
    assert all(e["inference_id"] != "meta2" for e in listed.json()["endpoints"])
