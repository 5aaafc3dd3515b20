"""Every face serves cached vectors equal bit for bit to fresh ones, computes only what is missing
(in one batch, in order), and says what it did in ``X-HFGate-Cache``."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from tests.embed_cache.conftest import LOCAL, TEI
from tests.fakes.hf_server import FakeHF, vector_for

TEXTS = [
    "Hugging Face hosts many models; some turn text into vectors for search engines to find passages by meaning.",
    "A short one.",
    "Cats often sleep on warm windowsills while a kitten naps in a basket by the fire and the rain falls.",
]

FACES: dict[str, tuple[str, dict[str, Any]]] = {
    "openai": ("/v1/embeddings", {"model": LOCAL, "input": TEXTS}),
    "openai-base64": ("/v1/embeddings", {"model": LOCAL, "input": TEXTS, "encoding_format": "base64"}),
    "elasticsearch": (f"/_inference/text_embedding/{LOCAL}", {"input": TEXTS}),
    "elasticsearch-chunked": (f"/_inference/text_embedding/{LOCAL}", {"input": TEXTS, "chunked": True}),
    "tei": (f"/hf/{LOCAL}/embed", {"inputs": TEXTS}),
    "tei-openai": (f"/hf/{LOCAL}/v1/embeddings", {"model": LOCAL, "input": TEXTS}),
    "gemini": (
        f"/v1beta/models/{LOCAL}:batchEmbedContents",
        {"requests": [{"content": {"parts": [{"text": text}]}} for text in TEXTS]},
    ),
}


def vectors_of(body: Any) -> Any:
    """The part of each face's answer that holds the vectors (usage differs: cached texts cost nothing)."""
    if isinstance(body, dict) and "data" in body:
        return [item["embedding"] for item in body["data"]]
    if isinstance(body, dict) and "embeddings" in body:
        return [item["values"] for item in body["embeddings"]]
    return body


@pytest.mark.parametrize("face", sorted(FACES))
async def test_a_cached_answer_equals_the_fresh_one_bit_for_bit(api: httpx.AsyncClient, face: str) -> None:
    path, body = FACES[face]
    first = await api.post(path, json=body)
    second = await api.post(path, json=body)
    fresh = await api.post(path, params={"cache": "false"}, json=body)
    assert [r.status_code for r in (first, second, fresh)] == [200, 200, 200], first.text
    assert (first.headers["x-hfgate-cache"], second.headers["x-hfgate-cache"]) == ("miss", "hit")
    assert "x-hfgate-cache" not in fresh.headers
    # The JSON text itself: every digit of every float the same.
    assert vectors_of(first.json()) == vectors_of(second.json()) == vectors_of(fresh.json())
    assert _floats_text(first) == _floats_text(second)


async def test_chunks_shared_by_two_inputs_are_computed_once_and_a_new_input_partly(
    api: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    path = f"/_inference/text_embedding/{TEI}"
    first = await api.post(path, json={"input": [TEXTS[0]], "chunked": True})
    edited = TEXTS[0].replace("search engines", "search indexes")
    fake_hf.reset()
    second = await api.post(path, json={"input": [edited], "chunked": True})
    assert second.headers["x-hfgate-cache"] == "partial"
    sent = [hit.body["inputs"] for hit in fake_hf.hits("/tei") if hit.path != "/tei/info"]
    chunks = [c["text"] for c in second.json()["text_embedding"][0]["chunks"]]
    old = {c["text"] for c in first.json()["text_embedding"][0]["chunks"]}
    assert sent == [[c for c in chunks if c not in old]], "one upstream call, with the changed chunks only"


async def test_a_partial_hit_computes_the_missing_texts_in_one_call_and_answers_in_order(
    api: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    path = f"/_inference/text_embedding/{TEI}"
    assert (await api.post(path, json={"input": ["b", "d"]})).headers["x-hfgate-cache"] == "miss"
    fake_hf.reset()
    answer = await api.post(path, json={"input": ["a", "b", "c", "d", "a"]})
    assert answer.headers["x-hfgate-cache"] == "partial"
    assert [hit.body["inputs"] for hit in fake_hf.hits("/tei/embed")] == [["a", "c"]]
    got = [item["embedding"] for item in answer.json()["text_embedding"]]
    assert got == [vector_for(t) for t in ["a", "b", "c", "d", "a"]]


async def test_a_full_hit_sends_nothing_upstream_and_counts_no_tokens(api: httpx.AsyncClient, fake_hf: FakeHF) -> None:
    await api.post("/v1/embeddings", json={"model": TEI, "input": ["one two three"]})
    fake_hf.reset()
    await api.post("/v1/embeddings", json={"model": TEI, "input": ["one two three"]})
    assert fake_hf.hits("/tei/embed") == []
    body = {"model": LOCAL, "input": ["one two three"]}  # the local model counts tokens with its tokenizer
    first = await api.post("/v1/embeddings", json=body)
    second = await api.post("/v1/embeddings", json=body)
    assert first.json()["usage"]["prompt_tokens"] > 0
    assert second.json()["usage"]["prompt_tokens"] == 0
    assert second.json()["data"] == first.json()["data"]


@pytest.mark.parametrize("value", ["maybe", "", "fals"])
async def test_a_cache_query_value_neither_true_nor_false_is_a_400_naming_cache_on_each_face(
    api: httpx.AsyncClient, fake_hf: FakeHF, value: str
) -> None:
    fake_hf.reset()
    es = await api.post(f"/_inference/text_embedding/{TEI}", params={"cache": value}, json={"input": ["x"]})
    assert es.status_code == 400, es.text
    assert es.json()["error"]["type"] == "validation_exception"
    reason = es.json()["error"]["reason"]
    assert "[cache]" in reason
    assert "?cache=false" in reason
    openai = await api.post("/v1/embeddings", params={"cache": value}, json={"model": TEI, "input": "x"})
    assert openai.status_code == 400, openai.text
    assert openai.json()["error"]["param"] == "cache"
    assert fake_hf.hits("/tei/embed") == []  # refused before anything ran
    for accepted in ("true", "FALSE", "0", "on"):
        answered = await api.post(es.request.url.path, params={"cache": accepted}, json={"input": ["x"]})
        assert answered.status_code == 200, (accepted, answered.text)


async def test_cache_off_on_the_endpoint_and_cache_false_on_a_request_compute_every_text_and_off_forgets(
    api: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    path = f"/_inference/text_embedding/{TEI}"
    await api.post(path, json={"input": ["x"]})
    fake_hf.reset()
    assert "x-hfgate-cache" not in (await api.post(path, params={"cache": "false"}, json={"input": ["x"]})).headers
    assert len(fake_hf.hits("/tei/embed")) == 1
    updated = await api.put(f"/_inference/text_embedding/{TEI}/_update", json={"service_settings": {"cache": "off"}})
    assert updated.status_code == 200, updated.text
    assert updated.json()["service_settings"]["cache"] == "off"
    again = await api.post(path, json={"input": ["x"]})
    assert "x-hfgate-cache" not in again.headers
    assert len(fake_hf.hits("/tei/embed")) == 2
    back = await api.put(f"/_inference/text_embedding/{TEI}/_update", json={"service_settings": {"cache": "on"}})
    assert back.status_code == 200
    # Turning the cache off removed the model's entries (no other endpoint caches it): on again starts empty.
    assert (await api.post(path, json={"input": ["x"]})).headers["x-hfgate-cache"] == "miss"
    assert (await api.post(path, json={"input": ["x"]})).headers["x-hfgate-cache"] == "hit"


@pytest.mark.parametrize("value", ["maybe", True, ""])
async def test_an_invalid_cache_setting_is_a_400_naming_it(api: httpx.AsyncClient, fake_hf: FakeHF, value: Any) -> None:
    from tests.embed_cache.conftest import tei_body

    created = await api.put("/_inference/text_embedding/other", json=tei_body(fake_hf.base, cache=value))
    updated = await api.put(f"/_inference/text_embedding/{TEI}/_update", json={"service_settings": {"cache": value}})
    for answer in (created, updated):
        assert answer.status_code == 400, answer.text
        assert "[cache]" in answer.text


async def test_an_update_that_changes_the_model_stops_its_old_vectors_being_served(
    api: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    path = f"/_inference/text_embedding/{TEI}"
    await api.post(path, json={"input": ["x"]})
    moved = fake_hf.base.replace("127.0.0.1", "localhost") + "/tei"
    updated = await api.put(f"{path}/_update", json={"service_settings": {"url": moved}})
    assert updated.status_code == 200, updated.text
    fake_hf.reset()
    answer = await api.post(path, json={"input": ["x"]})
    assert answer.headers["x-hfgate-cache"] == "miss"
    assert [hit.body["inputs"] for hit in fake_hf.hits("/tei/embed")] == [["x"]]


async def test_deleting_the_last_endpoint_of_a_model_removes_its_vectors_and_a_twin_keeps_them(
    api: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    from tests.embed_cache.conftest import tei_body

    assert (await api.put("/_inference/text_embedding/twin", json=tei_body(fake_hf.base))).status_code == 200
    await api.post(f"/_inference/text_embedding/{TEI}", json={"input": ["kept"]})
    assert (await api.post("/_inference/text_embedding/twin", json={"input": ["kept"]})).headers[
        "x-hfgate-cache"
    ] == "hit", "two endpoints on one model share entries"
    assert (await api.delete(f"/_inference/text_embedding/{TEI}")).status_code == 200
    assert (await api.post("/_inference/text_embedding/twin", json={"input": ["kept"]})).headers[
        "x-hfgate-cache"
    ] == "hit"
    assert (await api.delete("/_inference/text_embedding/twin")).status_code == 200
    assert (await api.put("/_inference/text_embedding/twin", json=tei_body(fake_hf.base))).status_code == 200
    again = await api.post("/_inference/text_embedding/twin", json={"input": ["kept"]})
    assert again.headers["x-hfgate-cache"] == "miss", "the last endpoint's delete removed the model's vectors"


async def test_an_inexact_engine_does_not_share_an_exact_engines_entries(api: httpx.AsyncClient) -> None:
    from tests.embed_cache.conftest import LOCAL_BODY, SLOW_LOAD

    bf16 = {**LOCAL_BODY, "service_settings": {"model": "all-MiniLM-L6-v2", "engine": "torch-bf16"}}
    onnx = {**LOCAL_BODY, "service_settings": {"model": "all-MiniLM-L6-v2", "engine": "torch"}}
    assert (await api.put("/_inference/text_embedding/bf16", params=SLOW_LOAD, json=bf16)).status_code == 200
    assert (await api.put("/_inference/text_embedding/exact-twin", params=SLOW_LOAD, json=onnx)).status_code == 200
    await api.post(f"/_inference/text_embedding/{LOCAL}", json={"input": ["engines"]})
    twin = await api.post("/_inference/text_embedding/exact-twin", json={"input": ["engines"]})
    inexact = await api.post("/_inference/text_embedding/bf16", json={"input": ["engines"]})
    assert (twin.headers["x-hfgate-cache"], inexact.headers["x-hfgate-cache"]) == ("hit", "miss")


def _floats_text(answer: httpx.Response) -> bytes:
    body = answer.json()
    if isinstance(body, dict) and body.get("data") and isinstance(body["data"][0]["embedding"], str):
        return b"".join(base64.b64decode(item["embedding"]) for item in body["data"])
    return answer.content.split(b'"usage"')[0]


async def test_usage_counts_the_tokens_computed_and_the_cached_texts_apart(api: httpx.AsyncClient) -> None:
    path = f"/_inference/text_embedding/{LOCAL}"
    await api.post(path, json={"input": ["usage one", "usage two"]})
    before = (await api.get("/_usage")).json()["totals"]
    await api.post(path, json={"input": ["usage one", "usage two", "usage three"]})
    after = (await api.get("/_usage")).json()["totals"]
    alone = await api.post("/v1/embeddings", params={"cache": "false"}, json={"model": LOCAL, "input": "usage three"})
    tokens_of_three = alone.json()["usage"]["prompt_tokens"]
    assert after["cached_texts"] - before["cached_texts"] == 2
    assert after["input_tokens"] - before["input_tokens"] == tokens_of_three


async def test_a_remote_servers_later_vectors_stored_without_the_float32_check_still_come_back_bit_for_bit(
    api: httpx.AsyncClient,
) -> None:
    """The fake TEI's vectors are JSON decimals (not float32): after the first, the cache stores its
    vectors as float64 at once; every answer from the cache is still the fresh one, digit for digit."""
    path = f"/_inference/text_embedding/{TEI}"
    batches = [["a first remote text"], ["a second remote text", "and a third"], ["the fourth"]]
    for texts in batches:
        assert (await api.post(path, json={"input": texts})).headers["x-hfgate-cache"] == "miss"
    for texts in batches:
        cached = await api.post(path, json={"input": texts})
        fresh = await api.post(path, params={"cache": "false"}, json={"input": texts})
        assert cached.headers["x-hfgate-cache"] == "hit"
        assert cached.content == fresh.content
        assert cached.json()["text_embedding"][0]["embedding"] == vector_for(texts[0])
