"""The `_inference` management routes: shapes, status codes and Elasticsearch's error reasons."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfgate.config import Settings
from hfgate.services import ServiceContext
from tests.conftest import app_client

EMB = {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2"}}
SKIP = {"skip_validation": "true"}


def reason(response: httpx.Response) -> str:
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "status"}
    assert body["status"] == response.status_code
    assert body["error"]["root_cause"], "Elasticsearch's envelope always has a root cause"
    text: str = body["error"]["reason"]
    return text


async def test_default_endpoints_are_listed_with_every_chunking_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/_inference")
    assert response.status_code == 200
    endpoints = response.json()["endpoints"]
    # shown only once the model is loaded (by an earlier test of the session, or not): tests/api/test_ready.py
    endpoints[0]["service_settings"].pop("engine_choice", None)
    assert endpoints[0]["service_settings"].pop("device", "cpu") == "cpu"
    assert endpoints[:1] == [
        {
            "inference_id": ".all-minilm-l6-v2",
            "task_type": "text_embedding",
            "service": "local",
            "service_settings": {
                "model": "sentence-transformers/all-MiniLM-L6-v2",
                "dimensions": 384,
                "similarity": "cosine",
            },
            "chunking_settings": {"strategy": "sentence", "max_chunk_size": 250, "sentence_overlap": 1},
        }
    ]


async def test_create_validates_with_a_real_call_and_records_dimensions(client: httpx.AsyncClient) -> None:
    # A first load on this machine measures every engine: on a busy 2-core runner that takes minutes.
    response = await client.put("/_inference/text_embedding/my-emb", json=EMB, params={"timeout": "600s"})
    assert response.status_code == 200, response.text
    body = response.json()
    choice = body["service_settings"].pop("engine_choice")
    assert body["service_settings"] == {
        "model": "all-MiniLM-L6-v2",
        "engine": "auto",
        "min_cosine": 0.9999,
        "dimensions": 384,
        "similarity": "cosine",
    }
    # e.g. "onnx, measured on AMD EPYC (avx2 avx512f …): onnx 310 texts/s, cosine 1; torch …"
    assert re.match(r"(onnx|torch)[-a-z0-9]*, (measured|cached) on .+: .+ texts/s, cosine ", choice), choice
    assert body["chunking_settings"]["strategy"] == "sentence"
    shown = (await client.get("/_inference/my-emb")).json()["endpoints"][0]["service_settings"]
    assert (shown["engine"], shown["engine_choice"]) == ("auto", choice)


async def test_min_cosine_above_one_is_refused(fake_api: httpx.AsyncClient) -> None:
    config = {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2", "min_cosine": 1.5}}
    response = await fake_api.put("/_inference/text_embedding/strict", json=config, params=SKIP)
    assert response.status_code == 400
    assert "[min_cosine] must be at most [1]" in reason(response)


async def test_a_sentence_similarity_endpoint_takes_the_embedders_engine(fake_api: httpx.AsyncClient) -> None:
    config = {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2", "engine": "torch"}}
    made = await fake_api.put("/_inference/sentence-similarity/pinned", json=config, params=SKIP)
    assert made.status_code == 200, made.text
    assert made.json()["service_settings"]["engine"] == "torch"
    config["service_settings"]["engine"] = "fastest"
    refused = await fake_api.put("/_inference/sentence-similarity/other", json=config, params=SKIP)
    assert refused.status_code == 400
    assert "engine" in reason(refused)


async def test_create_with_wrong_dimensions_names_both_sizes(client: httpx.AsyncClient) -> None:
    config = {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2", "dimensions": 12}}
    response = await client.put("/_inference/text_embedding/dims", json=config)
    assert response.status_code == 400
    assert "The retrieved embeddings size [384] does not match the size specified in the settings [12]" in reason(
        response
    )
    assert (await client.get("/_inference/dims")).status_code == 404


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/_inference/text_embedding/x", {"service_settings": {}}, "Model configuration is missing a service"),
        ("/_inference/text_embedding/x", {"service": "nope"}, "Unknown service [nope]"),
        ("/_inference/bad/x", EMB, "Unknown task_type [bad]"),
        (
            "/_inference/text_embedding/x",
            {"service": "local", "service_settings": {}},
            "Validation Failed: 1: [service_settings] does not contain the required setting [model];",
        ),
        (
            "/_inference/text_embedding/x",
            {"service": "local", "service_settings": {"model": "m", "modle": "typo"}},
            "Configuration contains settings [{modle=typo}] unknown to the [local] service",
        ),
        (
            "/_inference/text_embedding/x",
            {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2", "dimensions": "abc"}},
            "Validation Failed: 1: [service_settings] field [dimensions] is not of the expected type. "
            "The value [abc] cannot be converted to a [Integer];",
        ),
        (
            "/_inference/text_embedding/x",
            {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2", "similarity": "euclid"}},
            "Validation Failed: 1: [service_settings] Invalid value [euclid] received. [similarity] must be one "
            "of [cosine, dot_product, l2_norm];",
        ),
        ("/_inference/text_embedding/x", {**EMB, "servce": "local"}, "Unknown field [servce] in the request body"),
        ("/_inference/text_embedding/x", {**EMB, "task_type": "completion"}, "Cannot resolve conflicting task_type"),
        ("/_inference/x", {"service": "local", "service_settings": {"model": "m"}}, "[task_type] is required"),
        ("/_inference/text_embedding/Bad_ID", EMB, "Invalid inference_id; 'Bad_ID' can contain lowercase"),
        ("/_inference/text_embedding/.mine", EMB, "ids starting with [.] are reserved"),
        (
            "/_inference/text_embedding/x",
            {"service": "local", "service_settings": []},
            "[service_settings] must be an object",
        ),
        (
            "/_inference/text_embedding/x",
            {**EMB, "chunking_settings": {"strategy": "word", "max_chunk_size": 5, "overlap": 1}},
            "[max_chunk_size] must be greater than or equal to [10.0]",
        ),
        (
            "/_inference/completion/x",
            {"service": "local", "service_settings": {"model": "m"}, "chunking_settings": {"strategy": "none"}},
            "",
        ),
    ],
)
async def test_create_errors_are_elasticsearch_400s(
    fake_api: httpx.AsyncClient, path: str, body: dict[str, Any], expected: str
) -> None:
    response = await fake_api.put(path, json=body, params=SKIP)
    assert response.status_code == 400, response.text
    assert expected in reason(response)


async def test_duplicate_id_is_refused_and_unknown_id_is_404(fake_api: httpx.AsyncClient) -> None:
    assert (await fake_api.put("/_inference/text_embedding/dup", json=EMB, params=SKIP)).status_code == 200
    again = await fake_api.put("/_inference/text_embedding/dup", json=EMB, params=SKIP)
    assert again.status_code == 400
    assert reason(again) == "Inference endpoint [dup] already exists"
    missing = await fake_api.get("/_inference/text_embedding/nope")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "resource_not_found_exception"
    assert reason(missing) == "Inference endpoint not found [nope]"


async def test_skipped_validation_is_announced_in_a_warning_header(fake_api: httpx.AsyncClient) -> None:
    response = await fake_api.put("/_inference/text_embedding/skipped", json=EMB, params=SKIP)
    assert response.status_code == 200
    assert "validation call skipped" in response.headers["warning"]
    assert "dimensions" not in response.json()["service_settings"]


async def test_get_routes_by_id_task_type_and_all(client: httpx.AsyncClient) -> None:
    await client.put("/_inference/text_embedding/one", json=EMB, params=SKIP)
    ids = lambda r: [e["inference_id"] for e in r.json()["endpoints"]]  # noqa: E731
    assert ids(await client.get("/_inference/one")) == ["one"]
    assert ids(await client.get("/_inference/text_embedding/one")) == ["one"]
    assert ids(await client.get("/_inference/_all")) == [
        ".all-minilm-l6-v2", ".ms-marco-minilm-l6-v2", ".smollm2-135m-instruct", ".splade-pp-en-v1", "one"
    ]  # fmt: skip
    assert ids(await client.get("/_inference/text_embedding/_all")) == [".all-minilm-l6-v2", "one"]
    assert ids(await client.get("/_inference/text_embedding/*")) == [".all-minilm-l6-v2", "one"]
    assert ids(await client.get("/_inference/completion/_all")) == [".smollm2-135m-instruct"]
    wrong = await client.get("/_inference/completion/one")
    assert wrong.status_code == 400
    assert "does not match the inference endpoint's task type [text_embedding]" in reason(wrong)


async def test_delete_dry_run_keeps_the_endpoint_and_delete_removes_it(client: httpx.AsyncClient) -> None:
    await client.put("/_inference/text_embedding/gone", json=EMB, params=SKIP)
    dry = await client.delete("/_inference/text_embedding/gone", params={"dry_run": "true"})
    assert dry.json() == {"acknowledged": False, "pipelines": []}
    assert (await client.get("/_inference/gone")).status_code == 200
    done = await client.delete("/_inference/gone")
    assert done.json() == {"acknowledged": True, "pipelines": []}
    assert (await client.get("/_inference/gone")).status_code == 404
    assert (await client.delete("/_inference/gone")).status_code == 404


async def test_update_changes_chunking_and_refuses_fixed_settings(client: httpx.AsyncClient) -> None:
    await client.put("/_inference/text_embedding/upd", json=EMB, params=SKIP)
    chunking = {"strategy": "word", "max_chunk_size": 50, "overlap": 5}
    updated = await client.put("/_inference/text_embedding/upd/_update", json={"chunking_settings": chunking})
    assert updated.status_code == 200, updated.text
    assert updated.json()["chunking_settings"] == chunking
    assert (await client.get("/_inference/upd")).json()["endpoints"][0]["chunking_settings"] == chunking
    fixed = await client.put("/_inference/upd/_update", json={"service_settings": {"model": "other"}})
    assert fixed.status_code == 400
    assert "[service_settings] [model] cannot be updated" in reason(fixed)
    unknown = await client.put("/_inference/upd/_update", json={"service": "local"})
    assert unknown.status_code == 400
    missing = await client.put("/_inference/nope/_update", json={})
    assert missing.status_code == 404


async def test_services_are_generated_from_declarations(fake_api: httpx.AsyncClient) -> None:
    services = (await fake_api.get("/_inference/_services")).json()
    local = next(s for s in services if s["service"] == "local")
    assert "text_embedding" in local["task_types"]
    assert local["configurations"]["model"]["required"] is True
    assert local["configurations"]["similarity"]["options"] == ["cosine", "dot_product", "l2_norm"]
    embedding_only = (await fake_api.get("/_inference/_services/text_embedding")).json()
    assert {s["service"] for s in embedding_only} >= {"local"}
    assert (await fake_api.get("/_inference/_services/bogus")).status_code == 400


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "request body is required"),
        (b"{not json", "Failed to parse the request body as JSON"),
        (b"[1, 2]", "must be a JSON object, got [array]"),
    ],
)
async def test_malformed_bodies_are_400_parse_errors(
    fake_api: httpx.AsyncClient, content: bytes, expected: str
) -> None:
    response = await fake_api.put("/_inference/text_embedding/x", content=content)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "parse_exception"
    assert expected in reason(response)


async def test_bad_timeout_names_the_parameter(fake_api: httpx.AsyncClient) -> None:
    response = await fake_api.put("/_inference/text_embedding/x", json=EMB, params={"timeout": "30"})
    assert response.status_code == 400
    assert "failed to parse setting [timeout] with value [30]" in reason(response)


async def test_unknown_route_and_wrong_method_keep_the_envelope(fake_api: httpx.AsyncClient) -> None:
    unknown = await fake_api.get("/nowhere")
    assert unknown.status_code == 404
    assert "no handler found for uri [/nowhere]" in reason(unknown)
    wrong = await fake_api.patch("/_inference/x")
    assert wrong.status_code == 405
    assert "Incorrect HTTP method" in reason(wrong)


async def test_endpoints_survive_a_restart_through_the_api(
    tmp_path: Path, database_url: str | None, shared_context: ServiceContext
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, log_format="text")
    chunking = {"strategy": "word", "max_chunk_size": 40, "overlap": 4}
    async with app_client(settings, shared_context) as http:
        created = await http.put("/_inference/text_embedding/kept", json={**EMB, "chunking_settings": chunking})
        assert created.status_code == 200, created.text
        updated = await http.put("/_inference/kept/_update", json={"chunking_settings": {"strategy": "none"}})
        assert updated.status_code == 200
        await http.put("/_inference/text_embedding/dropped", json=EMB, params=SKIP)
        assert (await http.delete("/_inference/dropped")).status_code == 200
    async with app_client(settings, shared_context) as http:
        kept = (await http.get("/_inference/kept")).json()["endpoints"][0]
        assert kept["chunking_settings"] == {"strategy": "none"}
        assert kept["service_settings"]["dimensions"] == 384
        assert (await http.get("/_inference/dropped")).status_code == 404
        vectors = await http.post("/_inference/kept", json={"input": "still here"})
        assert len(vectors.json()["text_embedding"][0]["embedding"]) == 384


async def test_a_create_without_a_task_type_takes_the_model_cards_pipeline_tag(client: httpx.AsyncClient) -> None:
    created = await client.put("/_inference/minilm", json=EMB)  # its card files it under sentence-similarity
    assert created.status_code == 200, created.text
    assert created.json()["task_type"] == "text_embedding"
