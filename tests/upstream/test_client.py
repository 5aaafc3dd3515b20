"""The upstream client over real HTTP against the fake server: retries, waits, timeouts, typed errors.

Every request under fault injection ends in a result or a typed error; none is lost.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hfgate.errors import (
    UpstreamAuthError,
    UpstreamBadRequestError,
    UpstreamRateLimitError,
    UpstreamServerError,
    UpstreamTimeoutError,
    UpstreamUnreachableError,
)
from hfgate.upstream.http.client import Call, UpstreamClient
from hfgate.upstream.http.retry import RetryPolicy
from hfgate.upstream.wire.embeddings import parse_embeddings
from hfgate.upstream.wire.tgi import parse_stream_event
from tests.fakes.hf_fixtures import FAST_RETRY
from tests.fakes.hf_server import TOKEN, FakeHF, Fault, vector_for
from tests.support.live_server import free_port


@pytest.fixture
async def client() -> AsyncIterator[UpstreamClient]:
    upstream = UpstreamClient(retry=FAST_RETRY)
    try:
        yield upstream
    finally:
        await upstream.aclose()


def call(timeout: float = 5.0, **changes: Any) -> Call:
    fields: dict[str, Any] = {"inference_id": "e1", "api_key": TOKEN, "timeout": timeout, "target": "t"}
    fields["requests_per_minute"] = 1_000_000
    return Call(**(fields | changes))


async def embed(client: UpstreamClient, fake: FakeHF, texts: list[str], **changes: Any) -> list[list[float]]:
    return await client.post_json(
        call(**changes),
        f"{fake.base}/tei",
        payload={"inputs": texts},
        parse=lambda b: parse_embeddings(b, count=len(texts)),
    )


async def test_a_healthy_call_sends_the_token_and_json(client: UpstreamClient, fake_hf: FakeHF) -> None:
    assert await embed(client, fake_hf, ["a"]) == [vector_for("a")]
    sent = fake_hf.hits("/tei")[0]
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.body == {"inputs": ["a"]}


@pytest.mark.parametrize(
    "fault",
    [Fault.rate_limited(), Fault.server_error(502), Fault(status=503, body={"error": "busy"}), Fault(reset=True)],
    ids=["429", "502", "503", "reset"],
)
async def test_transient_failures_are_retried(client: UpstreamClient, fake_hf: FakeHF, fault: Fault) -> None:
    fake_hf.inject("/tei", fault, fault)
    assert await embed(client, fake_hf, ["a"]) == [vector_for("a")]
    assert len(fake_hf.hits("/tei")) == 3


async def test_retry_after_is_waited_for(client: UpstreamClient, fake_hf: FakeHF) -> None:
    fake_hf.inject("/tei", Fault.rate_limited(retry_after=0.3))
    started = time.monotonic()
    await embed(client, fake_hf, ["a"])
    assert time.monotonic() - started >= 0.3


async def test_a_429_that_persists_ends_as_a_rate_limit_error(client: UpstreamClient, fake_hf: FakeHF) -> None:
    fake_hf.inject("/tei", *[Fault.rate_limited()] * 3)
    with pytest.raises(UpstreamRateLimitError) as raised:
        await embed(client, fake_hf, ["a"])
    assert raised.value.status == 429
    assert raised.value.reason == (
        "Received a rate limit status code for request from inference entity id [e1] status [429]. "
        "Error message: [Rate limit reached. Please retry later.]"
    )
    assert len(fake_hf.hits("/tei")) == 3


@pytest.mark.parametrize(
    ("fault", "kind", "status"),
    [
        (Fault(status=400, body={"error": "bad input"}), UpstreamBadRequestError, 400),
        (Fault(status=404, body={"error": "Not Found"}), UpstreamBadRequestError, 404),
        (Fault(status=422, body={"error": "too long", "error_type": "Validation"}), UpstreamBadRequestError, 422),
        (Fault(status=401, body={"error": "Invalid token"}), UpstreamAuthError, 401),
        (Fault.server_error(500), UpstreamServerError, 502),
    ],
    ids=["400", "404", "422", "401", "500"],
)
async def test_other_failures_are_not_retried(
    client: UpstreamClient, fake_hf: FakeHF, fault: Fault, kind: type, status: int
) -> None:
    fake_hf.inject("/tei", fault)
    with pytest.raises(kind) as raised:
        await embed(client, fake_hf, ["a"])
    assert raised.value.status == status
    assert len(fake_hf.hits("/tei")) == 1


async def test_a_wrong_token_is_an_authentication_error(client: UpstreamClient, fake_hf: FakeHF) -> None:
    with pytest.raises(UpstreamAuthError) as raised:
        await embed(client, fake_hf, ["a"], api_key="hf_wrong")
    assert "authentication error" in raised.value.reason


async def test_a_loading_model_is_waited_for_without_using_an_attempt(client: UpstreamClient, fake_hf: FakeHF) -> None:
    fake_hf.inject("/tei", *[Fault.loading("m", 0.1)] * 4)
    started = time.monotonic()
    assert await embed(client, fake_hf, ["a"]) == [vector_for("a")]
    assert time.monotonic() - started >= 0.4
    assert len(fake_hf.hits("/tei")) == 5


async def test_a_model_loading_beyond_the_timeout_fails_at_once_as_a_timeout(
    client: UpstreamClient, fake_hf: FakeHF
) -> None:
    fake_hf.inject("/tei", Fault.loading("m", 20.0))
    started = time.monotonic()
    with pytest.raises(UpstreamTimeoutError) as raised:
        await embed(client, fake_hf, ["a"], timeout=2.0, model="BAAI/bge")
    assert time.monotonic() - started < 1.0
    assert raised.value.status == 504
    assert "Model [BAAI/bge] for inference entity id [e1] was still loading" in raised.value.reason


async def test_a_slow_upstream_is_a_timeout(client: UpstreamClient, fake_hf: FakeHF) -> None:
    fake_hf.inject("/tei", Fault(delay=2.0))
    with pytest.raises(UpstreamTimeoutError) as raised:
        await embed(client, fake_hf, ["a"], timeout=0.3)
    assert raised.value.status == 504


async def test_malformed_json_is_a_server_error_naming_the_url(client: UpstreamClient, fake_hf: FakeHF) -> None:
    fake_hf.inject("/tei", Fault.malformed())
    with pytest.raises(UpstreamServerError) as raised:
        await embed(client, fake_hf, ["a"])
    assert f"Failed to parse the response from [{fake_hf.base}/tei]" in raised.value.reason


async def test_a_closed_port_is_unreachable_after_retries(client: UpstreamClient) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/embed"
    with pytest.raises(UpstreamUnreachableError) as raised:
        await client.post_json(call(), url, payload={"inputs": ["a"]}, parse=lambda b: b)
    assert raised.value.status == 502
    assert f"Failed to connect to [127.0.0.1:{port}]" in raised.value.reason


async def test_an_unknown_host_is_not_retried(client: UpstreamClient) -> None:
    started = time.monotonic()
    with pytest.raises(UpstreamUnreachableError) as raised:
        await client.post_json(
            call(), "http://no-such-host.invalid/embed", payload={"inputs": ["a"]}, parse=lambda b: b
        )
    assert raised.value.reason.startswith("Invalid host [no-such-host.invalid]")
    assert time.monotonic() - started < 3


async def test_scale_up_timeout_asks_a_scaled_to_zero_endpoint_to_hold(client: UpstreamClient, fake_hf: FakeHF) -> None:
    await embed(client, fake_hf, ["a"], scale_up=True, timeout=30.0)
    assert fake_hf.hits("/tei")[0].headers["X-Scale-Up-Timeout"] in ("29", "30")


async def test_the_deadline_bounds_retries(fake_hf: FakeHF) -> None:
    patient = UpstreamClient(retry=RetryPolicy(max_attempts=10, base_delay=0.4, max_delay=0.4, jitter=0.0))
    try:
        fake_hf.inject("/tei", *[Fault.server_error(503)] * 10)
        started = time.monotonic()
        with pytest.raises(UpstreamServerError):
            await embed(patient, fake_hf, ["a"], timeout=1.0)
        assert time.monotonic() - started < 1.0
    finally:
        await patient.aclose()


async def test_a_stream_retries_before_its_first_byte(client: UpstreamClient, fake_hf: FakeHF) -> None:
    fake_hf.inject("/tgi", Fault.rate_limited())
    payload = {"inputs": "one two", "parameters": {"max_new_tokens": 3, "details": True}, "stream": True}
    deltas = [
        d async for d in client.stream_events(call(), f"{fake_hf.base}/tgi", payload=payload, parse=parse_stream_event)
    ]
    assert "".join(d.text for d in deltas) == " w0 w1 w2"
    assert deltas[-1].finish_reason == "length"


async def test_an_error_event_mid_stream_is_a_typed_error(client: UpstreamClient, fake_hf: FakeHF) -> None:
    fake_hf.inject("/tgi", Fault(stream_error_after=2))
    payload = {"inputs": "one two", "parameters": {"details": True}, "stream": True}
    received: list[object] = []

    async def consume() -> None:
        async for delta in client.stream_events(
            call(), f"{fake_hf.base}/tgi", payload=payload, parse=parse_stream_event
        ):
            received.append(delta)

    with pytest.raises(UpstreamBadRequestError) as raised:
        await consume()
    assert len(received) == 2
    assert raised.value.status == 424
    assert "CUDA out of memory" in raised.value.reason


async def test_the_rate_limit_queue_refuses_with_a_rate_limit_error(client: UpstreamClient, fake_hf: FakeHF) -> None:
    slow = call(requests_per_minute=1, timeout=2.0)
    await embed(client, fake_hf, ["a"], requests_per_minute=1, timeout=2.0)
    with pytest.raises(UpstreamRateLimitError) as raised:
        await client.post_json(slow, f"{fake_hf.base}/tei", payload={"inputs": ["a"]}, parse=lambda b: b)
    assert "after the request's timeout [2s]" in raised.value.reason
