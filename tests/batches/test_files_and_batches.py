"""The Files and Batches APIs through the ``openai`` SDK, on a keyed in-process hfgate and the fast fake
service (the same on the real local models over HTTP: tests/api/test_openai_batches.py)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import openai
import pytest

from hfgate.config import Settings
from hfgate.local.batching.priority import BACKGROUND
from hfgate.services import SERVICES
from hfgate.tasks import EmbeddingResult, EmbedRequest
from tests.batches.gateway import (
    BOOT,
    URL,
    CountingModel,
    CountingService,
    Gateway,
    answered,
    embedding_lines,
    finished,
    gateway,
    jsonl,
    keyed_settings,
    lines_of,
    upload,
)
from tests.conftest import app_client

TEXTS = ["the quick brown fox", "a lazy dog", "hello world", "batches survive restarts", "one more", "the end"]


@pytest.fixture
async def gw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Gateway]:
    monkeypatch.setitem(SERVICES, CountingService.name, CountingService)
    monkeypatch.setattr(CountingService, "calls", CountingService.calls.copy())
    monkeypatch.setattr(CountingService, "delay", 0.0)
    settings = keyed_settings(tmp_path / "data", batch_file_max_bytes=64 * 1024,
                              batch_input_max_bytes=32 * 1024, batch_input_max_lines=50)  # fmt: skip
    async with gateway(settings) as made:
        CountingService.calls.clear()  # the texts the endpoint's check at create embedded
        yield made


async def test_a_file_is_uploaded_listed_read_and_deleted_with_the_sdk(gw: Gateway) -> None:
    content = embedding_lines(TEXTS)
    made = await gw.sdk.files.create(file=("in.jsonl", io.BytesIO(content)), purpose="batch")
    assert (made.object, made.purpose, made.filename, made.bytes, made.status) == (
        "file", "batch", "in.jsonl", len(content), "processed",
    )  # fmt: skip
    assert (await gw.sdk.files.retrieve(made.id)).id == made.id
    assert [f.id async for f in gw.sdk.files.list(purpose="batch")] == [made.id]
    assert (await gw.sdk.files.content(made.id)).content == content
    gone = await gw.sdk.files.delete(made.id)
    assert (gone.id, gone.deleted) == (made.id, True)
    with pytest.raises(openai.NotFoundError):
        await gw.sdk.files.retrieve(made.id)


async def test_an_expiring_file_says_when(gw: Gateway) -> None:
    made = await gw.sdk.files.create(
        file=("in.jsonl", io.BytesIO(b"{}\n")),
        purpose="user_data",
        expires_after={"anchor": "created_at", "seconds": 3600},
    )
    assert made.expires_at == made.created_at + 3600
    batch = await gw.sdk.files.create(file=("in.jsonl", io.BytesIO(b"{}\n")), purpose="batch")
    assert batch.expires_at == batch.created_at + 30 * 86400  # OpenAI's default for a batch's files
    other = await gw.sdk.files.create(file=("notes.jsonl", io.BytesIO(b"{}\n")), purpose="user_data")
    assert other.expires_at is None  # kept until deleted


async def test_another_keys_file_and_batch_do_not_exist_for_it(gw: Gateway) -> None:
    file_id = await upload(gw.sdk, embedding_lines(TEXTS[:1]))
    batch = await gw.sdk.batches.create(input_file_id=file_id, endpoint=URL, completion_window="24h")
    for call in (gw.other.files.retrieve(file_id), gw.other.files.content(file_id), gw.other.files.delete(file_id),
                 gw.other.batches.retrieve(batch.id), gw.other.batches.cancel(batch.id),
                 gw.other.batches.create(input_file_id=file_id, endpoint=URL, completion_window="24h")):  # fmt: skip
        with pytest.raises(openai.NotFoundError):
            await call
    assert [f.id async for f in gw.other.files.list()] == []
    assert [b.id async for b in gw.other.batches.list()] == []
    assert (await finished(gw.sdk, batch.id)).status == "completed"


async def test_every_line_is_answered_as_the_same_request_sent_alone(gw: Gateway) -> None:
    content = embedding_lines(TEXTS) + embedding_lines(["no such model"], model="missing").replace(b'"c0"', b'"m"')
    file_id = await upload(gw.sdk, content)
    batch = await gw.sdk.batches.create(input_file_id=file_id, endpoint=URL, completion_window="24h",
                                        metadata={"job": "nightly"})  # fmt: skip
    assert (batch.status, batch.metadata, batch.request_counts.total) == ("in_progress", {"job": "nightly"}, 7)
    done = await finished(gw.sdk, batch.id)
    assert done.status == "completed"
    assert done.request_counts.model_dump() == {"total": 7, "completed": 6, "failed": 1}
    assert None not in (done.in_progress_at, done.finalizing_at, done.completed_at)
    output = {line["custom_id"]: line for line in await lines_of(gw.sdk, done.output_file_id)}
    assert sorted(output) == [f"c{n}" for n in range(len(TEXTS))]
    for n, text in enumerate(TEXTS):
        alone = await gw.sdk.embeddings.create(model="words", input=text, encoding_format="float")
        answered = output[f"c{n}"]["response"]
        assert answered["status_code"] == 200
        assert answered["request_id"].startswith("batch_req_")
        assert answered["body"]["data"][0]["embedding"] == alone.data[0].embedding
    assert done.usage is not None  # the tokens of every answer recorded, as the requests' own usage gives them
    prompt_tokens = sum(line["response"]["body"]["usage"]["prompt_tokens"] for line in output.values())
    assert (done.usage.input_tokens, done.usage.output_tokens, done.usage.total_tokens) == (
        prompt_tokens, 0, prompt_tokens,
    )  # fmt: skip
    (failed,) = await lines_of(gw.sdk, done.error_file_id)
    assert (failed["custom_id"], failed["response"]["status_code"]) == ("m", 404)
    assert failed["response"]["body"]["error"]["code"] == "model_not_found"
    assert CountingService.calls == {text: 2 for text in TEXTS}  # once in the batch, once alone
    listed = [b.id async for b in gw.sdk.batches.list(limit=1)]
    assert listed == [batch.id]


async def test_a_file_with_bad_lines_fails_the_batch_naming_each_line(gw: Gateway) -> None:
    good = embedding_lines(TEXTS[:2])
    bad = good + b"{not json\n" + good.splitlines()[0].replace(URL.encode(), b"/v1/chat/completions") + b"\n" + good
    batch = await gw.sdk.batches.create(input_file_id=await upload(gw.sdk, bad), endpoint=URL, completion_window="24h")
    assert batch.status == "failed"
    assert batch.failed_at is not None
    assert batch.errors is not None
    assert [(e.line, e.code) for e in batch.errors.data or []] == [
        (3, "invalid_json_line"), (4, "mismatched_endpoint"), (5, "duplicate_custom_id"), (6, "duplicate_custom_id"),
    ]  # fmt: skip
    assert batch.request_counts is not None
    assert batch.request_counts.total == 0
    assert not CountingService.calls


async def test_a_file_over_a_limit_is_refused_naming_the_limit_and_its_setting(gw: Gateway) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        await upload(gw.sdk, b"x" * (65 * 1024))
    assert caught.value.status_code == 413
    assert "HFGATE_BATCH_FILE_MAX_BYTES" in caught.value.message
    with pytest.raises(openai.BadRequestError) as caught_bad:
        await upload(gw.sdk, b"x" * (33 * 1024))
    assert "HFGATE_BATCH_INPUT_MAX_BYTES" in caught_bad.value.message
    with pytest.raises(openai.BadRequestError) as caught_bad:
        await upload(gw.sdk, b"{}\n" * 51)
    assert "HFGATE_BATCH_INPUT_MAX_LINES" in caught_bad.value.message
    kept = await gw.sdk.files.create(file=("big.bin", io.BytesIO(b"x" * (33 * 1024))), purpose="user_data")
    assert kept.bytes == 33 * 1024  # only a batch input is held to the batch limits
    assert [f.id async for f in gw.sdk.files.list()] == [kept.id]


async def test_a_cancelled_batch_ends_cancelled_with_the_lines_it_finished(gw: Gateway) -> None:
    CountingService.delay = 0.1
    texts = [f"text number {n}" for n in range(40)]
    batch = await gw.sdk.batches.create(input_file_id=await upload(gw.sdk, embedding_lines(texts)), endpoint=URL,
                                        completion_window="24h")  # fmt: skip
    await answered(gw.sdk, batch.id, at_least=1)
    cancelling = await gw.sdk.batches.cancel(batch.id)
    assert cancelling.status == "cancelling"
    assert cancelling.cancelling_at is not None
    done = await finished(gw.sdk, batch.id)
    assert done.status == "cancelled"
    assert done.cancelled_at is not None
    output = await lines_of(gw.sdk, done.output_file_id)
    assert done.request_counts is not None
    assert len(output) == done.request_counts.completed < len(texts)
    assert sum(CountingService.calls.values()) == len(output)  # no line started after the cancel went unrecorded


async def test_the_routes_need_a_key_with_the_infer_role(gw: Gateway) -> None:
    refused = await gw.http.get("/v1/files")
    assert refused.status_code == 401
    made = await gw.http.post("/_security/api_key", json={"name": "watcher", "roles": ["monitor"]},
                              headers={"Authorization": "Bearer boot"})  # fmt: skip
    watcher = {"Authorization": f"Bearer {made.json()['encoded']}"}
    assert (await gw.http.get("/v1/batches", headers=watcher)).status_code == 403
    upload_form = {"files": {"file": ("a.jsonl", b"{}\n")}, "data": {"purpose": "batch"}}
    assert (await gw.http.post("/v1/files", headers=watcher, **upload_form)).status_code == 403  # type: ignore[arg-type]


async def test_each_line_is_a_request_of_the_batchs_key_in_its_usage_and_within_its_endpoints(gw: Gateway) -> None:
    batch = await gw.sdk.batches.create(input_file_id=await upload(gw.sdk, embedding_lines(TEXTS)), endpoint=URL,
                                        completion_window="24h")  # fmt: skip
    assert (await finished(gw.sdk, batch.id)).status == "completed"
    usage = (await gw.http.get("/_usage", params={"endpoint": "words"}, headers=BOOT)).json()["usage"]
    assert [(row["key_name"], row["requests"], row["statuses"]) for row in usage] == [
        ("one", len(TEXTS), {"200": len(TEXTS)})
    ]
    made = await gw.http.post("/_security/api_key", headers=BOOT,
                              json={"name": "narrow", "roles": ["infer"], "endpoints": ["elsewhere-*"]})  # fmt: skip
    narrow = gw.sdk.with_options(api_key=made.json()["encoded"])
    refused = await narrow.batches.create(input_file_id=await upload(narrow, embedding_lines(TEXTS[:2])),
                                          endpoint=URL, completion_window="24h")  # fmt: skip
    done = await finished(narrow, refused.id)
    assert done.request_counts is not None
    assert (done.status, done.request_counts.failed, done.output_file_id) == ("completed", 2, None)
    statuses = [line["response"]["status_code"] for line in await lines_of(narrow, done.error_file_id)]
    assert statuses == [403, 403]


async def test_a_gateway_without_keys_runs_batches_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SERVICES, CountingService.name, CountingService)
    monkeypatch.setattr(CountingService, "calls", CountingService.calls.copy())
    settings = Settings(data_dir=tmp_path / "open", log_format="text", log_level="warning", provision_defaults=False,
                        preload_models=False, batch_poll_seconds=0.02)  # fmt: skip
    serving = app_client(settings)
    async with serving as http:
        made = await http.put("/_inference/text_embedding/words",
                              json={"service": "counting", "service_settings": {"model": "words"}})  # fmt: skip
        assert made.status_code == 200, made.text
        transport = httpx.ASGITransport(app=serving.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hfgate") as inner:
            sdk = openai.AsyncOpenAI(base_url="http://hfgate/v1", api_key="unused", http_client=inner)
            batch = await sdk.batches.create(input_file_id=await upload(sdk, embedding_lines(TEXTS)), endpoint=URL,
                                             completion_window="24h")  # fmt: skip
            done = await finished(sdk, batch.id)
            assert done.request_counts is not None
            assert (done.status, done.request_counts.completed) == ("completed", len(TEXTS))


@pytest.mark.parametrize(
    ("task", "url", "body"),
    [
        ("completion", "/v1/completions", {"prompt": "hello there you", "max_tokens": 2}),
        ("chat_completion", "/v1/chat/completions", {"messages": [{"role": "user", "content": "hi all"}]}),
    ],
)
async def test_generation_lines_are_answered_as_the_requests_sent_alone(
    gw: Gateway, task: str, url: str, body: dict[str, object]
) -> None:
    made = await gw.http.put(f"/_inference/{task}/gen", headers=BOOT,
                             json={"service": "counting", "service_settings": {"model": "words"}})  # fmt: skip
    assert made.status_code == 200, made.text
    line = {"custom_id": "g", "method": "POST", "url": url, "body": {"model": "gen", **body}}
    batch = await gw.sdk.batches.create(input_file_id=await upload(gw.sdk, jsonl([line])), endpoint=url,  # type: ignore[arg-type]
                                        completion_window="24h")  # fmt: skip
    done = await finished(gw.sdk, batch.id)
    (answered,) = await lines_of(gw.sdk, done.output_file_id)
    alone = (await gw.http.post(url, json=line["body"], headers=gw.sdk.auth_headers)).json()
    got = answered["response"]["body"]
    assert done.usage is not None
    assert (done.usage.input_tokens, done.usage.output_tokens) == (
        alone["usage"]["prompt_tokens"], alone["usage"]["completion_tokens"],
    )  # fmt: skip
    assert got["object"] == alone["object"]
    assert got["choices"] == alone["choices"]
    assert got["usage"] == alone["usage"]


async def test_metadata_is_held_to_openais_bounds(gw: Gateway) -> None:
    file_id = await upload(gw.sdk, embedding_lines(TEXTS[:1]))
    for metadata in ({f"k{n}": "v" for n in range(17)}, {"k" * 65: "v"}, {"k": "v" * 513}):
        with pytest.raises(openai.BadRequestError) as caught:
            await gw.sdk.batches.create(input_file_id=file_id, endpoint=URL, completion_window="24h", metadata=metadata)
        assert caught.value.body["param"] == "metadata"  # type: ignore[index]


async def test_a_batch_lines_work_is_marked_background_and_a_clients_is_not(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    marked: dict[str, bool] = {}
    embed = CountingModel.embed

    async def spy(model: CountingModel, request: EmbedRequest) -> EmbeddingResult:
        # where a local model's service submits to its batcher: the mark it would queue the texts with
        marked.update(dict.fromkeys(request.texts, BACKGROUND.get()))
        return await embed(model, request)

    monkeypatch.setattr(CountingModel, "embed", spy)
    file_id = await upload(gw.sdk, embedding_lines(TEXTS[:2]))
    batch = await gw.sdk.batches.create(input_file_id=file_id, endpoint=URL, completion_window="24h")
    assert (await finished(gw.sdk, batch.id)).status == "completed"
    await gw.sdk.embeddings.create(model="words", input=TEXTS[2])
    assert marked == {TEXTS[0]: True, TEXTS[1]: True, TEXTS[2]: False}
