"""Anthropic's Message Batches through the ``anthropic`` SDK on a keyed in-process hfgate with no chat model:
each request's answer (a 404 for its model) is its ``errored`` result, and the face's bookkeeping holds (the
same with a real model over HTTP: tests/api/test_anthropic_batches.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import pytest
from anthropic.types.messages import MessageBatch

from hfgate.services import SERVICES
from tests.batches.gateway import URL, CountingService, Gateway, embedding_lines, gateway, keyed_settings, upload


@pytest.fixture
async def gw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Gateway]:
    monkeypatch.setitem(SERVICES, CountingService.name, CountingService)
    async with gateway(keyed_settings(tmp_path / "data", batch_input_max_lines=3)) as made:
        yield made


def _sdk(gw: Gateway, *, other: bool = False) -> anthropic.AsyncAnthropic:
    key = (gw.other if other else gw.sdk).api_key
    http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=gw.app), base_url="http://hfgate")
    return anthropic.AsyncAnthropic(base_url="http://hfgate", api_key=key, http_client=http, max_retries=0)


def _request(custom_id: str, model: str = "no-such-model") -> Any:
    return {"custom_id": custom_id,
            "params": {"model": model, "max_tokens": 4, "messages": [{"role": "user", "content": "hi"}]}}  # fmt: skip


async def _ended(sdk: anthropic.AsyncAnthropic, batch_id: str) -> MessageBatch:
    deadline = time.monotonic() + 30
    while (batch := await sdk.messages.batches.retrieve(batch_id)).processing_status != "ended":
        assert time.monotonic() < deadline, batch
        await asyncio.sleep(0.05)
    return batch


async def test_each_request_is_answered_through_v1_messages_and_its_refusal_is_its_errored_result(
    gw: Gateway,
) -> None:
    sdk = _sdk(gw)
    made = await sdk.messages.batches.create(requests=[_request("a"), _request("b")])
    assert made.request_counts.processing == 2
    batch = await _ended(sdk, made.id)
    assert batch.request_counts.errored == 2
    assert batch.results_url == f"http://hfgate/v1/messages/batches/{made.id}/results"
    results = [line async for line in await sdk.messages.batches.results(made.id)]
    assert [line.custom_id for line in results] == ["a", "b"]
    for line in results:
        assert line.result.type == "errored"
        assert line.result.error.error.type == "not_found_error"  # type: ignore[union-attr]
        assert "no-such-model" in line.result.error.error.message  # type: ignore[union-attr]
    gone = await sdk.messages.batches.delete(made.id)
    assert gone.type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        await sdk.messages.batches.retrieve(made.id)


async def test_requests_are_checked_at_create_in_anthropics_error_shape(gw: Gateway) -> None:
    sdk = _sdk(gw)
    no_messages = {"custom_id": "a", "params": {"model": "m", "max_tokens": 1}}
    for requests, named in (([_request("a"), _request("a")], "requests[1].custom_id"),
                            ([_request("a b")], "requests[0].custom_id"),
                            ([_request(f"r{n}") for n in range(4)], "HFGATE_BATCH_INPUT_MAX_LINES"),
                            ([no_messages], "requests[0].params")):  # fmt: skip
        with pytest.raises(anthropic.BadRequestError) as refused:
            await sdk.messages.batches.create(requests=requests)
        assert refused.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
        assert named in refused.value.body["error"]["message"]  # type: ignore[index]
    assert [b.id async for b in sdk.messages.batches.list()] == []


async def test_a_batch_is_its_keys_and_an_openai_batch_is_no_message_batch(gw: Gateway) -> None:
    sdk, other = _sdk(gw), _sdk(gw, other=True)
    made = await sdk.messages.batches.create(requests=[_request("a")])
    for call in (other.messages.batches.retrieve(made.id), other.messages.batches.cancel(made.id),
                 other.messages.batches.delete(made.id)):  # fmt: skip
        with pytest.raises(anthropic.NotFoundError):
            await call
    assert [b.id async for b in other.messages.batches.list()] == []
    openai_batch = await gw.sdk.batches.create(input_file_id=await upload(gw.sdk, embedding_lines(["x"])),
                                               endpoint=URL, completion_window="24h")  # fmt: skip
    with pytest.raises(anthropic.NotFoundError):
        await sdk.messages.batches.retrieve(openai_batch.id)
    assert [b.id async for b in sdk.messages.batches.list()] == [made.id]
    await _ended(sdk, made.id)


async def test_a_cancelled_batch_ends_with_each_unsent_request_canceled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(SERVICES, CountingService.name, CountingService)
    # the runner looks for work every 2 s: the batch is cancelled before it claims a line
    settings = keyed_settings(tmp_path / "data").model_copy(update={"batch_poll_seconds": 2.0})
    async with gateway(settings) as gw:
        sdk = _sdk(gw)
        made = await sdk.messages.batches.create(requests=[_request("a"), _request("b")])
        with pytest.raises(anthropic.BadRequestError, match="cannot be deleted while it is processing"):
            await sdk.messages.batches.delete(made.id)
        canceling = await sdk.messages.batches.cancel(made.id)
        assert (canceling.processing_status, canceling.results_url) == ("canceling", None)
        assert canceling.cancel_initiated_at is not None
        batch = await _ended(sdk, made.id)
        assert batch.request_counts.canceled == 2
        assert batch.ended_at is not None
        results = [line.result.type async for line in await sdk.messages.batches.results(made.id)]
        assert results == ["canceled", "canceled"]
