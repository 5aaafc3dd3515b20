"""The routes a batch runs beside embeddings and chat: the Responses API and rerank answer each line as the
same request sent alone (the fast fake service); a line that asks to stream, or to run in the background, is
never sent and names the field. (The Hub's task routes ``/v1/classify``, ``/v1/score`` and ``/v1/moderations``
on real tiny models: tests/pipelines/test_task_faces.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import openai
import pytest

from hfgate.services import SERVICES
from tests.batches.gateway import (
    BOOT,
    CountingService,
    Gateway,
    finished,
    gateway,
    jsonl,
    keyed_settings,
    lines_of,
    upload,
)


@pytest.fixture
async def gw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Gateway]:
    monkeypatch.setitem(SERVICES, CountingService.name, CountingService)
    async with gateway(keyed_settings(tmp_path / "data")) as made:
        for task in ("chat_completion", "rerank"):
            body = {"service": "counting", "service_settings": {"model": "words"}}
            created = await made.http.put(f"/_inference/{task}/{task}", headers=BOOT, json=body)
            assert created.status_code == 200, created.text
        yield made


async def _batch(
    gw: Gateway, url: str, bodies: list[dict[str, Any]]
) -> tuple[openai.types.Batch, list[Any], list[Any]]:
    lines = [{"custom_id": f"c{n}", "method": "POST", "url": url, "body": body} for n, body in enumerate(bodies)]
    batch = await gw.sdk.batches.create(input_file_id=await upload(gw.sdk, jsonl(lines)), endpoint=url,  # type: ignore[arg-type]
                                        completion_window="24h")  # fmt: skip
    done = await finished(gw.sdk, batch.id)
    return done, await lines_of(gw.sdk, done.output_file_id), await lines_of(gw.sdk, done.error_file_id)


async def _alone(gw: Gateway, url: str, body: dict[str, Any]) -> Any:
    answer = await gw.http.post(url, json=body, headers=gw.sdk.auth_headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_responses_lines_are_answered_as_the_requests_sent_alone(gw: Gateway) -> None:
    bodies = [{"model": "chat_completion", "input": text, "store": False} for text in ("hi all", "one two three")]
    done, output, errors = await _batch(gw, "/v1/responses", bodies)
    assert (done.status, errors) == ("completed", [])
    for line, body in zip(output, bodies, strict=True):
        alone = await _alone(gw, "/v1/responses", body)
        got = line["response"]["body"]
        assert (got["object"], got["status"]) == ("response", "completed")
        assert [item["content"] for item in got["output"]] == [item["content"] for item in alone["output"]]
        assert got["usage"] == alone["usage"]
    assert done.usage is not None
    assert done.usage.output_tokens == sum(line["response"]["body"]["usage"]["output_tokens"] for line in output)


async def test_rerank_lines_are_answered_as_the_requests_sent_alone(gw: Gateway) -> None:
    body = {"model": "rerank", "query": "a lazy dog", "documents": ["the quick brown fox", "a lazy dog sleeps"]}
    done, output, _ = await _batch(gw, "/v1/rerank", [body])
    assert done.status == "completed"
    (line,) = output
    assert line["response"]["body"]["results"] == (await _alone(gw, "/v1/rerank", body))["results"]


@pytest.mark.parametrize("field", ["stream", "background"])
async def test_a_line_that_streams_or_runs_in_the_background_is_never_sent(gw: Gateway, field: str) -> None:
    done, output, errors = await _batch(gw, "/v1/responses", [{"model": "chat_completion", "input": "hi", field: True}])
    assert (done.status, output) == ("completed", [])
    (refused,) = errors
    assert refused["response"] is None
    assert refused["error"]["code"] == "invalid_request"
    assert f"[{field}] is not supported in a batch" in refused["error"]["message"]
