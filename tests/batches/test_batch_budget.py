"""A key's budget spent mid-batch stops the batch: the lines before it answered, the refused line's 429 in
the error file, every later line closed unsent, the batch ``failed`` naming the line and the budget, and
nothing more spent (the fast fake service, priced; the runner's own cases: tests/batches/test_runner.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import openai
import pytest

from hfgate.services import SERVICES
from hfgate.services.price_setting import SPEND_SETTINGS
from tests.batches.gateway import (
    BOOT,
    URL,
    CountingService,
    embedding_lines,
    finished,
    keyed_settings,
    lines_of,
    upload,
)
from tests.conftest import app_client

TEXTS = [f"text number {n} of the nightly job" for n in range(30)]


class PricedService(CountingService):
    """The counting service with a price, as every real service declares it."""

    name = "priced"
    service_settings = (*CountingService.service_settings, *SPEND_SETTINGS)


PRICE = {"input": 1000}  # $0.001 a token: a line costs about a cent, and reserves a bound of its body's bytes


@pytest.fixture
async def budgeted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[openai.AsyncOpenAI]:
    """The SDK as a key whose day's budget holds a few lines; the batch runs one line at a time."""
    monkeypatch.setitem(SERVICES, PricedService.name, PricedService)
    monkeypatch.setattr(CountingService, "calls", CountingService.calls.copy())
    serving = app_client(keyed_settings(tmp_path / "data", batch_claim_lines=1))
    async with serving as http:
        body = {"service": "priced", "service_settings": {"model": "words", "price": PRICE}}
        made = await http.put("/_inference/text_embedding/words", headers=BOOT, json=body)
        assert made.status_code == 200, made.text
        key = {"name": "nightly", "roles": ["infer"], "limits": {"usd_per_day": "0.2"}}
        encoded = (await http.post("/_security/api_key", json=key, headers=BOOT)).json()["encoded"]
        CountingService.calls.clear()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=serving.app), base_url="http://hfgate")
        async with openai.AsyncOpenAI(base_url="http://hfgate/v1", api_key=encoded, max_retries=0,
                                      http_client=client) as sdk:  # fmt: skip
            yield sdk


async def test_a_spent_budget_stops_the_batch_and_nothing_more_is_spent(budgeted: openai.AsyncOpenAI) -> None:
    batch = await budgeted.batches.create(input_file_id=await upload(budgeted, embedding_lines(TEXTS)), endpoint=URL,
                                          completion_window="24h")  # fmt: skip
    done = await finished(budgeted, batch.id)
    assert done.status == "failed"
    assert done.failed_at is not None
    counts = done.request_counts
    assert counts is not None
    assert 1 <= counts.completed < len(TEXTS)
    assert counts.completed + counts.failed == counts.total == len(TEXTS)
    answered = await lines_of(budgeted, done.output_file_id)
    assert [line["custom_id"] for line in answered] == [f"c{n}" for n in range(counts.completed)]
    assert sum(CountingService.calls.values()) == counts.completed  # the refused line and the rest: never embedded
    refused, *unsent = await lines_of(budgeted, done.error_file_id)
    assert (refused["custom_id"], refused["response"]["status_code"]) == (f"c{counts.completed}", 429)
    assert "budget" in refused["response"]["body"]["error"]["message"]
    assert {line["error"]["code"] for line in unsent} == {"batch_stopped"}
    assert len(unsent) == len(TEXTS) - counts.completed - 1
    assert done.errors is not None
    assert done.errors.data is not None
    (error,) = done.errors.data
    assert (error.code, error.line) == ("batch_stopped", counts.completed + 1)
    assert "budget" in str(error.message)
