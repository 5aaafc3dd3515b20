"""Gemini's Batch API on a keyed in-process hfgate (the fake service's chat and embedding endpoints): each
request runs as ``…:generateContent`` / ``…:embedContent`` would alone, and the face's bookkeeping, paging,
cancel, delete, ownership and errors hold. ``google-genai`` itself drives it in tests/clients/test_google_genai.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from hfgate.services import SERVICES
from tests.batches.gateway import BOOT, CountingService, Gateway, gateway, keyed_settings

PACKAGE = "type.googleapis.com/google.ai.generativelanguage.v1main."


@asynccontextmanager
async def _served(data: Path, **overrides: Any) -> AsyncIterator[Gateway]:
    """The gateway with the ``words`` embedding endpoint and the ``talk`` chat endpoint."""
    async with gateway(keyed_settings(data, **overrides)) as made:
        talk = await made.http.put("/_inference/chat_completion/talk", headers=BOOT,
                                   json={"service": "counting", "service_settings": {"model": "talk"}})  # fmt: skip
        assert talk.status_code == 200, talk.text
        yield made


@pytest.fixture
async def gw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Gateway]:
    monkeypatch.setitem(SERVICES, CountingService.name, CountingService)
    async with _served(tmp_path / "data") as made:
        yield made


@pytest.fixture
async def slow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Gateway]:
    """One line at a time, each embedding taking 0.2 s: a batch runs long enough to be cancelled."""
    monkeypatch.setitem(SERVICES, CountingService.name, CountingService)
    monkeypatch.setattr(CountingService, "delay", 0.2)
    async with _served(tmp_path / "data", batch_claim_lines=1) as made:
        yield made


def _key(gw: Gateway, *, other: bool = False) -> dict[str, str]:
    return {"x-goog-api-key": (gw.other if other else gw.sdk).api_key}


def _generate(prompt: str) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": prompt}]}], "generationConfig": {"maxOutputTokens": 6}}


async def _done(gw: Gateway, name: str, *, other: bool = False) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while not (op := (await gw.http.get(f"/v1beta/{name}", headers=_key(gw, other=other))).json()).get("done"):
        assert time.monotonic() < deadline, op
        await asyncio.sleep(0.05)
    return op


async def test_a_generate_batch_answers_each_request_as_generate_content_alone(gw: Gateway) -> None:
    prompts = ["say hello", "name a colour", "two and two"]
    body = {"batch": {"display_name": "three", "input_config": {"requests": {"requests": [
        {"request": _generate(p), "metadata": {"key": f"r{n}"}} for n, p in enumerate(prompts)]}}}}  # fmt: skip
    made = await gw.http.post("/v1beta/models/talk:batchGenerateContent", json=body, headers=_key(gw))
    assert made.status_code == 200, made.text
    op = made.json()
    assert op["name"].startswith("batches/")
    assert op["done"] is False
    meta = op["metadata"]
    assert meta["@type"] == PACKAGE + "GenerateContentBatch"
    assert (meta["model"], meta["displayName"], meta["state"]) == ("models/talk", "three", "BATCH_STATE_PENDING")
    assert meta["batchStats"]["requestCount"] == "3"
    done = await _done(gw, op["name"])
    assert done["metadata"]["state"] == "BATCH_STATE_SUCCEEDED"
    assert done["metadata"]["batchStats"] == {"requestCount": "3", "successfulRequestCount": "3",
                                              "failedRequestCount": "0", "pendingRequestCount": "0"}  # fmt: skip
    inlined = done["metadata"]["output"]["inlinedResponses"]["inlinedResponses"]
    assert done["response"]["@type"] == PACKAGE + "GenerateContentBatchOutput"
    assert done["response"]["inlinedResponses"] == done["metadata"]["output"]["inlinedResponses"]
    assert [r["metadata"] for r in inlined] == [{"key": "r0"}, {"key": "r1"}, {"key": "r2"}]
    for prompt, answered in zip(prompts, inlined, strict=True):
        alone = await gw.http.post("/v1beta/models/talk:generateContent", json=_generate(prompt), headers=_key(gw))
        expected, got = alone.json(), answered["response"]
        assert got["candidates"] == expected["candidates"]
        assert got["usageMetadata"] == expected["usageMetadata"]
    usage = (await gw.sdk.batches.retrieve(op["name"].split("/")[1])).usage
    assert usage is not None
    assert usage.input_tokens == sum(r["response"]["usageMetadata"]["promptTokenCount"] for r in inlined)


async def test_an_embedding_batch_answers_each_request_as_embed_content_alone(gw: Gateway) -> None:
    texts = ["a cat", "a dog"]
    requests = [{"request": {"content": {"parts": [{"text": t}]}}} for t in texts]
    made = await gw.http.post("/v1beta/models/words:asyncBatchEmbedContent", headers=_key(gw),
                              json={"batch": {"inputConfig": {"requests": {"requests": requests}}}})  # fmt: skip
    assert made.status_code == 200, made.text
    assert made.json()["metadata"]["@type"] == PACKAGE + "EmbedContentBatch"
    done = await _done(gw, made.json()["name"])
    inlined = done["metadata"]["output"]["inlinedResponses"]["inlinedResponses"]
    for text, answered in zip(texts, inlined, strict=True):
        alone = await gw.http.post("/v1beta/models/words:embedContent", headers=_key(gw),
                                   json={"content": {"parts": [{"text": text}]}})  # fmt: skip
        assert answered == {"response": alone.json()}


async def test_a_request_the_app_refuses_is_its_error_and_the_batch_still_succeeds(gw: Gateway) -> None:
    body = {"batch": {"inputConfig": {"requests": {"requests": [{"request": _generate("hi")}]}}}}
    made = await gw.http.post("/v1beta/models/words:batchGenerateContent", json=body, headers=_key(gw))
    assert made.status_code == 400, made.text  # an embedding endpoint does not chat
    hot = {**_generate("hi"), "generationConfig": {"temperature": -1}}
    alone = await gw.http.post("/v1beta/models/talk:generateContent", json=hot, headers=_key(gw))
    assert alone.status_code == 400
    body = {"batch": {"inputConfig": {"requests": {"requests": [{"request": hot}, {"request": _generate("hi")}]}}}}
    made = await gw.http.post("/v1beta/models/talk:batchGenerateContent", json=body, headers=_key(gw))
    done = await _done(gw, made.json()["name"])
    assert done["metadata"]["state"] == "BATCH_STATE_SUCCEEDED"
    refused, answered = done["metadata"]["output"]["inlinedResponses"]["inlinedResponses"]
    assert refused == {"error": {"code": 3, "message": alone.json()["error"]["message"]}}
    assert "candidates" in answered["response"]
    assert done["metadata"]["batchStats"]["failedRequestCount"] == "1"


async def test_bad_bodies_are_400_naming_the_field(gw: Gateway) -> None:
    cases = [
        ({"batch": {}}, "batch.inputConfig"),
        ({"batch": {"inputConfig": {"requests": {"requests": []}}}}, "batch.inputConfig.requests.requests"),
        ({"batch": {"inputConfig": {"requests": {"requests": [{"request": {"contents": 3}}]}}}},
         "batch.inputConfig.requests.requests[0].request.contents"),
        ({"batch": {"inputConfig": {"fileName": "files/x", "requests": {"requests": [{"request": _generate("a")}]}}}},
         "batch.inputConfig"),
        ({"batch": {"inputConfig": {}}}, "[batch.inputConfig] needs one of [requests]"),
        ({"batch": {"inputConfig": {"requests": {"requests": [
            {"request": {**_generate("hi"), "generationConfig": {"candidateCount": 2}}}]}}}},
         "batch.inputConfig.requests.requests[0].request"),
    ]  # fmt: skip
    for body, field in cases:
        answer = await gw.http.post("/v1beta/models/talk:batchGenerateContent", json=body, headers=_key(gw))
        assert answer.status_code == 400, (body, answer.text)
        error = answer.json()["error"]
        assert error["status"] == "INVALID_ARGUMENT"
        assert field in error["message"], (field, error["message"])
    missing = await gw.http.post("/v1beta/models/nope:batchGenerateContent", headers=_key(gw),
                                 json={"batch": {"inputConfig": {"requests": {"requests": [
                                     {"request": _generate("hi")}]}}}})  # fmt: skip
    assert missing.status_code == 404


async def test_list_pages_cancel_delete_and_another_key_sees_nothing(slow: Gateway) -> None:
    gw = slow
    names = []
    for n in range(3):
        body = {"batch": {"inputConfig": {"requests": {"requests": [
            {"request": {"content": {"parts": [{"text": f"p{n}-{i}"}]}}} for i in range(4)]}}}}  # fmt: skip
        made = await gw.http.post("/v1beta/models/words:asyncBatchEmbedContent", json=body, headers=_key(gw))
        names.append(made.json()["name"])
    seen: list[str] = []
    token = None
    while True:
        params = {"pageSize": 2, **({"pageToken": token} if token else {})}
        page = (await gw.http.get("/v1beta/batches", params=params, headers=_key(gw))).json()
        seen += [op["name"] for op in page["operations"]]
        if not (token := page.get("nextPageToken")):
            break
    assert sorted(seen) == sorted(names)  # newest first; those of one second by id
    assert (await gw.http.get("/v1beta/batches", headers=_key(gw, other=True))).json() == {"operations": []}
    for call in (gw.http.get, gw.http.delete):
        refused = await call(f"/v1beta/{names[2]}", headers=_key(gw, other=True))
        assert refused.status_code == 404
        assert refused.json()["error"]["status"] == "NOT_FOUND"
    other_cancel = await gw.http.post(f"/v1beta/{names[2]}:cancel", headers=_key(gw, other=True))
    assert other_cancel.status_code == 404
    running = await gw.http.delete(f"/v1beta/{names[2]}", headers=_key(gw))
    assert running.status_code == 400
    cancelled = await gw.http.post(f"/v1beta/{names[2]}:cancel", headers=_key(gw))
    assert (cancelled.status_code, cancelled.json()) == (200, {})
    done = await _done(gw, names[2])
    assert done["metadata"]["state"] == "BATCH_STATE_CANCELLED"
    inlined = done["response"]["inlinedResponses"]["inlinedResponses"]
    assert {"code": 1, "message": "The batch was cancelled before this request ran."} in [
        r.get("error") for r in inlined
    ]
    gone = await gw.http.delete(f"/v1beta/{names[2]}", headers=_key(gw))
    assert (gone.status_code, gone.json()) == (200, {})
    assert (await gw.http.get(f"/v1beta/{names[2]}", headers=_key(gw))).status_code == 404
    assert all(b.id != names[2].split("/")[1] for b in (await gw.sdk.batches.list()).data)
    openai_batch = await gw.http.get("/v1beta/batches/batch_unknown", headers=_key(gw))
    assert openai_batch.status_code == 404


async def _upload(gw: Gateway, content: bytes, *, name: str = "in.jsonl") -> dict[str, Any]:
    """The resumable upload ``google-genai`` makes: start, then the bytes in two chunks."""
    start = {"X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start",
             "X-Goog-Upload-Header-Content-Length": str(len(content))}  # fmt: skip
    began = await gw.http.post("/upload/v1beta/files", headers={**_key(gw), **start},
                               json={"file": {"displayName": name, "mimeType": "application/jsonl"}})  # fmt: skip
    assert began.status_code == 200, began.text
    url = began.headers["x-goog-upload-url"]
    half = len(content) // 2
    first = await gw.http.post(url, content=content[:half], headers={
        **_key(gw), "X-Goog-Upload-Command": "upload", "X-Goog-Upload-Offset": "0"})  # fmt: skip
    assert first.headers["x-goog-upload-status"] == "active", first.text
    last = await gw.http.post(url, content=content[half:], headers={
        **_key(gw), "X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": str(half)})  # fmt: skip
    assert last.headers["x-goog-upload-status"] == "final", last.text
    made: dict[str, Any] = last.json()["file"]
    return made


async def test_a_file_batch_reads_key_and_request_lines_and_writes_a_responses_file(gw: Gateway) -> None:
    prompts = {"a": "say hello", "b": "name a colour"}
    content = b"".join(orjson.dumps({"key": k, "request": _generate(p)}) + b"\n" for k, p in prompts.items())
    made = await _upload(gw, content)
    assert made["name"].startswith("files/")
    assert (made["sizeBytes"], made["displayName"], made["state"]) == (str(len(content)), "in.jsonl", "ACTIVE")
    kept = datetime.fromisoformat(made["expirationTime"]) - datetime.fromisoformat(made["createTime"])
    assert kept == timedelta(hours=48)  # as Gemini keeps an uploaded file
    again = await gw.http.get(f"/v1beta/{made['name']}", headers=_key(gw))
    assert again.json() == made
    assert (await gw.http.get(f"/v1beta/{made['name']}", headers=_key(gw, other=True))).status_code == 404
    body = {"batch": {"inputConfig": {"fileName": made["name"]}}}
    answer = await gw.http.post("/v1beta/models/talk:batchGenerateContent", json=body, headers=_key(gw))
    assert answer.status_code == 200, answer.text
    done = await _done(gw, answer.json()["name"])
    responses = done["metadata"]["output"]["responsesFile"]
    assert responses == done["response"]["responsesFile"]
    assert (await gw.http.get(f"/v1beta/{responses}:download", headers=_key(gw, other=True))).status_code == 404
    got = await gw.http.get(f"/v1beta/{responses}:download", params={"alt": "media"}, headers=_key(gw))
    lines = [orjson.loads(line) for line in got.content.splitlines()]
    assert [line["key"] for line in lines] == list(prompts)
    for line, prompt in zip(lines, prompts.values(), strict=True):
        alone = await gw.http.post("/v1beta/models/talk:generateContent", json=_generate(prompt), headers=_key(gw))
        assert line["response"]["candidates"] == alone.json()["candidates"]
    source = await gw.http.get(f"/v1beta/{made['name']}:download", headers=_key(gw))
    assert source.content == content
    assert (await gw.http.delete(f"/v1beta/{made['name']}", headers=_key(gw))).json() == {}
    assert (await gw.http.get(f"/v1beta/{made['name']}", headers=_key(gw))).status_code == 404


async def test_a_bad_input_file_is_400_naming_its_line(gw: Gateway) -> None:
    made = await _upload(gw, b'{"key": "a", "request": ' + orjson.dumps(_generate("hi")) + b'}\n{"key": "b"}\n')
    body = {"batch": {"inputConfig": {"fileName": made["name"]}}}
    answer = await gw.http.post("/v1beta/models/talk:batchGenerateContent", json=body, headers=_key(gw))
    assert answer.status_code == 400
    assert f"batch.inputConfig.fileName [{made['name']}] line 2" in answer.json()["error"]["message"]
    body = {"batch": {"inputConfig": {"fileName": "files/file-none"}}}
    missing = await gw.http.post("/v1beta/models/talk:batchGenerateContent", json=body, headers=_key(gw))
    assert missing.status_code == 404


async def test_an_upload_out_of_order_or_of_another_key_is_refused(gw: Gateway) -> None:
    start = {**_key(gw), "X-Goog-Upload-Command": "start"}
    broken = await gw.http.post("/upload/v1beta/files", headers=start, content=b"not json")
    assert broken.status_code == 400
    began = await gw.http.post("/upload/v1beta/files", headers=start, json={"file": {"displayName": "x"}})
    url = began.headers["x-goog-upload-url"]
    chunk = {"X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": "0"}
    theirs = await gw.http.post(url, content=b"{}\n", headers={**_key(gw, other=True), **chunk})
    assert theirs.status_code == 404
    skipped = await gw.http.post(url, content=b"{}\n", headers={**_key(gw), **chunk, "X-Goog-Upload-Offset": "5"})
    assert skipped.status_code == 400
    assert "X-Goog-Upload-Offset" in skipped.json()["error"]["message"]
