"""Elasticsearch's official Python client, 8.x (hfgate's venv) and 9.x (installed apart), against a
live hfgate: ping, info, put, get (with ``filter_path``), inference, text_embedding, 9.4's embedding (on a
text_embedding endpoint and on an embedding one, with 9.5's content arrays),
update, completion, rerank and delete, each answer checked for content."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.hf_server import TOKEN, FakeHF
from tests.support.apart import run_client


@pytest.fixture(scope="module", params=[None, "es9"], ids=["8.x", "9.x"])
def answers(request: pytest.FixtureRequest, gate: str, fake_for_clients: FakeHF) -> dict[str, Any]:
    result: dict[str, Any] = run_client(
        request.param, "es_calls.py", gate, f"{fake_for_clients.base}/tei-rerank", TOKEN
    )
    return result


def test_the_client_is_the_major_version_under_test(answers: dict[str, Any], request: pytest.FixtureRequest) -> None:
    assert answers["client"][0] == request.node.callspec.id[0]


def test_ping_and_info_answer_as_elasticsearch(answers: dict[str, Any]) -> None:
    assert answers["ping"] is True
    assert answers["info"]["tagline"] == "You Know, for Search"


def test_put_and_get_return_the_endpoint(answers: dict[str, Any]) -> None:
    assert answers["put"]["inference_id"] == "es-minilm"
    assert answers["put"]["service_settings"]["dimensions"] == 384
    assert [e["task_type"] for e in answers["get"]["endpoints"]] == ["text_embedding"]


def test_filter_path_keeps_only_the_named_fields(answers: dict[str, Any]) -> None:
    listed = answers["get_filtered"]["endpoints"]
    assert all(list(e) == ["inference_id"] for e in listed)
    assert "es-minilm" in {e["inference_id"] for e in listed}


def test_embeddings_through_inference_text_embedding_and_embedding(answers: dict[str, Any]) -> None:
    cat, dog = (item["embedding"] for item in answers["inference"]["text_embedding"])
    assert (len(cat), len(dog)) == (384, 384)
    assert answers["text_embedding"]["text_embedding"][0]["embedding"] == pytest.approx(cat, abs=1e-5)
    if "embedding" in answers:
        pair = [item["embedding"] for item in answers["embedding"]["embeddings"]]
        assert pair == [pytest.approx(cat, abs=1e-5), pytest.approx(dog, abs=1e-5)]
        assert answers["put_embedding"]["task_type"] == "embedding"  # 9.x: an endpoint of 9.4's embedding task
        served = [item["embedding"] for item in answers["embedding_task"]["embeddings"]]
        assert served == [pytest.approx(cat, abs=1e-5), pytest.approx(dog, abs=1e-5)]


def test_update_changes_the_task_settings_completion_uses(answers: dict[str, Any]) -> None:
    assert answers["update"]["task_settings"]["max_new_tokens"] == 4
    text = answers["completion"]["completion"][0]["result"]
    assert text.strip()
    assert len(text.split()) <= 4


def test_rerank_puts_the_matching_document_first(answers: dict[str, Any]) -> None:
    assert answers["rerank"]["rerank"][0]["index"] == 1


def test_delete_acknowledges_and_removes(answers: dict[str, Any]) -> None:
    assert [d["acknowledged"] for d in answers["delete"]] == [True, True, True]
    left = {e["inference_id"] for e in answers["after_delete"]["endpoints"]}
    assert left.isdisjoint({"es-minilm", "es-smollm", "es-rerank"})
