"""Anthropic's Message Batches through the official ``anthropic`` SDK against a live hfgate (real HTTP on
127.0.0.1) on the packaged local chat model: a batch's results equal the same requests sent one by one.

The server is this module's own, keyed, with SmolLM2 on ``transformers`` in float32 (as the OpenAI batches'
live test has it); the engine's mechanics (restart, two runners, expiry) are tested in tests/batches/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest
from anthropic.types.messages import MessageBatch

from hfgate.config import Settings
from tests.support.live_server import live_server

pytestmark = pytest.mark.slow  # loads a real model: not in `make check`

BOOT = {"Authorization": "Bearer boot"}
CHATTER = "smol"
SERVICE = {"model": "HuggingFaceTB/SmolLM2-135M-Instruct", "engine": "transformers", "dtype": "float32"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """The live server's URL and two keys of the ``infer`` role."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("message-batches-live"), api_keys=["boot"],  # type: ignore[arg-type]
                        log_format="text", log_level="warning", provision_defaults=False, preload_models=False,
                        batch_poll_seconds=0.05)  # fmt: skip
    with live_server(settings) as url, httpx.Client(base_url=url, headers=BOOT, timeout=600) as http:
        made = http.put(f"/_inference/chat_completion/{CHATTER}",
                        json={"service": "local", "service_settings": SERVICE})  # fmt: skip
        assert made.status_code == 200, made.text
        keys = []
        for name in ("one", "other"):
            key = http.post("/_security/api_key", json={"name": name, "roles": ["infer"]})
            assert key.status_code == 200, key.text
            keys.append(str(key.json()["encoded"]))
        yield url, keys


@pytest.fixture(scope="module")
def client(served: tuple[str, list[str]]) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=served[0], api_key=served[1][0], max_retries=0, timeout=300)


@pytest.fixture(scope="module")
def other(served: tuple[str, list[str]]) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=served[0], api_key=served[1][1], max_retries=0, timeout=300)


def _params(prompt: str, max_tokens: int = 8) -> dict[str, Any]:
    """A greedy request (a batch's ``params`` pass ``temperature`` on as sent)."""
    return {"model": CHATTER, "max_tokens": max_tokens, "temperature": 0,
            "messages": [{"role": "user", "content": prompt}]}  # fmt: skip


def _ended(client: anthropic.Anthropic, batch_id: str) -> MessageBatch:
    deadline = time.monotonic() + 600
    while (batch := client.messages.batches.retrieve(batch_id)).processing_status != "ended":
        assert time.monotonic() < deadline, f"the batch is still {batch.processing_status}"
        time.sleep(0.2)
    return batch


def test_a_message_batch_answers_each_request_as_the_greedy_request_sent_alone(client: anthropic.Anthropic) -> None:
    prompts = ["Say hello.", "Name a colour.", "What is 2 + 2?"]
    made = client.messages.batches.create(
        requests=[{"custom_id": f"r{n}", "params": _params(p)} for n, p in enumerate(prompts)]  # type: ignore[misc]
    )
    assert (made.type, made.processing_status, made.results_url) == ("message_batch", "in_progress", None)
    assert made.id.startswith("msgbatch_")
    assert made.request_counts.processing == 3
    batch = _ended(client, made.id)
    assert batch.request_counts.model_dump() == {"processing": 0, "succeeded": 3, "errored": 0, "canceled": 0,
                                                 "expired": 0}  # fmt: skip
    assert batch.ended_at is not None
    assert batch.expires_at > batch.created_at
    results = {line.custom_id: line.result for line in client.messages.batches.results(made.id)}
    assert list(results) == ["r0", "r1", "r2"]
    for n, prompt in enumerate(prompts):
        alone_params = {k: v for k, v in _params(prompt).items() if k != "temperature"}
        # the SDK (2.x) has no temperature argument; Anthropic's API still takes it
        alone = client.messages.create(**alone_params, extra_body={"temperature": 0})
        result = results[f"r{n}"]
        assert result.type == "succeeded"
        assert [b.model_dump() for b in result.message.content] == [b.model_dump() for b in alone.content]
        assert result.message.usage.output_tokens == alone.usage.output_tokens
        assert result.message.stop_reason == alone.stop_reason


def test_a_request_the_model_refuses_is_errored_and_the_others_succeed(client: anthropic.Anthropic) -> None:
    made = client.messages.batches.create(requests=[
        {"custom_id": "good", "params": _params("Hi")},  # type: ignore[list-item]
        {"custom_id": "nowhere", "params": {**_params("Hi"), "model": "no-such-model"}},  # type: ignore[list-item]
    ])  # fmt: skip
    batch = _ended(client, made.id)
    assert (batch.request_counts.succeeded, batch.request_counts.errored) == (1, 1)
    results = {line.custom_id: line.result for line in client.messages.batches.results(made.id)}
    assert results["good"].type == "succeeded"
    assert results["nowhere"].type == "errored"
    assert results["nowhere"].error.error.type == "not_found_error"  # type: ignore[union-attr]


def test_bad_requests_are_refused_at_create_naming_their_index(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match=r"requests\[1\]\.custom_id"):
        client.messages.batches.create(
            requests=[
                {"custom_id": "a", "params": _params("x")},  # type: ignore[list-item]
                {"custom_id": "a", "params": _params("y")},
            ]
        )  # type: ignore[list-item]
    with pytest.raises(anthropic.BadRequestError, match=r"requests\[0\]\.params\.messages"):
        client.messages.batches.create(requests=[{"custom_id": "a", "params": {"model": CHATTER, "max_tokens": 4}}])  # type: ignore[typeddict-item]
    with pytest.raises(anthropic.BadRequestError, match=r"requests\[0\]\.params\.stream"):
        client.messages.batches.create(requests=[{"custom_id": "a", "params": {**_params("x"), "stream": True}}])  # type: ignore[list-item]


def test_batches_are_listed_canceled_and_deleted_once_ended_and_another_keys_are_404(
    client: anthropic.Anthropic, other: anthropic.Anthropic
) -> None:
    many = [{"custom_id": f"c{n}", "params": _params(f"Count to {n}.", max_tokens=32)} for n in range(12)]
    made = client.messages.batches.create(requests=many)  # type: ignore[arg-type]
    with pytest.raises(anthropic.BadRequestError, match="cannot be deleted while it is processing"):
        client.messages.batches.delete(made.id)
    canceling = client.messages.batches.cancel(made.id)
    assert canceling.processing_status in ("canceling", "ended")
    assert canceling.cancel_initiated_at is not None
    batch = _ended(client, made.id)
    counts = batch.request_counts
    assert counts.processing == counts.errored == counts.expired == 0
    assert counts.succeeded + counts.canceled == len(many)
    results = list(client.messages.batches.results(made.id))
    assert sorted(line.result.type for line in results) == ["canceled"] * counts.canceled + ["succeeded"] * (
        counts.succeeded
    )

    listed = [b.id for b in client.messages.batches.list(limit=100)]
    assert listed[0] == made.id
    page = client.messages.batches.list(limit=1, after_id=made.id)
    assert [b.id for b in page.data] == listed[1:2]
    assert [b.id for b in client.messages.batches.list(limit=1, before_id=listed[1]).data] == [made.id]

    with pytest.raises(anthropic.NotFoundError):
        other.messages.batches.retrieve(made.id)
    with pytest.raises(anthropic.NotFoundError):
        other.messages.batches.delete(made.id)
    assert made.id not in [b.id for b in other.messages.batches.list()]

    gone = client.messages.batches.delete(made.id)
    assert (gone.id, gone.type) == (made.id, "message_batch_deleted")
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve(made.id)
