"""One deadline per request, set by the orchestrator: the same slow request gets the same deadline and the
same error through every face, and only Elasticsearch's ``?timeout=`` (a protocol that lets the client
ask) moves it.

Real HTTP on both sides: hfgate on uvicorn with a short default deadline, the upstream an aiohttp server
that accepts each request and never answers (tests/fakes/hostile_upstream's ``/hang``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from hfgate.api.app import create_app
from hfgate.config import Settings
from tests.fakes.hostile_upstream import HostileUpstream, hostile
from tests.support.live_server import serve_app

__all__ = ["hostile"]  # the module's fixture

DEFAULT = 0.8
"""The injected default deadline of embeddings and rerank, in seconds (HFGATE_INFERENCE_TIMEOUT_SECONDS)."""
GENERATION = 0.7
"""The injected default deadline of completion and chat (HFGATE_GENERATION_TIMEOUT_SECONDS)."""
MARGIN = 0.7
"""How much later than its deadline a request may be answered on a loaded machine (less than the deadline:
a call that ran a second attempt after it would fail)."""


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory, hostile: HostileUpstream) -> Iterator[httpx.Client]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("deadline"),
        provision_defaults=False,
        log_format="text",
        log_level="error",
        inference_timeout_seconds=DEFAULT,
        generation_timeout_seconds=GENERATION,
    )
    with serve_app(create_app(settings)) as url, httpx.Client(base_url=url, timeout=60) as client:
        for task in ("text_embedding", "rerank", "chat_completion"):
            body = {"service": "hugging_face", "service_settings": {"url": f"{hostile.base}/hang/", "api_key": "k"}}
            created = client.put(f"/_inference/{task}/slow-{task}?skip_validation=true", json=body)
            assert created.status_code == 200, created.text
        yield client


def _timed(http: httpx.Client, path: str, body: dict[str, object]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    answer = http.post(path, json=body)
    return answer, time.monotonic() - started


def _reason(answer: httpx.Response) -> str:
    """The error's reason in the face's own shape (Elasticsearch's ``reason``, OpenAI's ``message``)."""
    error = answer.json()["error"]
    return str(error.get("reason") or error.get("message"))


def test_an_embedding_gets_the_same_deadline_and_error_through_the_openai_and_elasticsearch_faces(
    http: httpx.Client,
) -> None:
    openai, openai_took = _timed(http, "/v1/embeddings", {"model": "slow-text_embedding", "input": "a"})
    es, es_took = _timed(http, "/_inference/text_embedding/slow-text_embedding", {"input": "a"})
    assert (openai.status_code, es.status_code) == (408, 408), (openai.text, es.text)
    assert _reason(openai) == _reason(es), (openai.text, es.text)
    assert _reason(es).startswith(f"Request timed out after [{DEFAULT:g}s]")  # Elasticsearch's words first
    assert "HFGATE_INFERENCE_TIMEOUT_SECONDS" in _reason(es)  # and how to wait longer
    for took in (openai_took, es_took):
        assert DEFAULT <= took < DEFAULT + MARGIN


def test_a_rerank_gets_the_same_deadline_on_the_rerank_route_and_elasticsearch(http: httpx.Client) -> None:
    """/v1/rerank had 30 s of its own where other faces gave a rerank 120 s."""
    cohere, cohere_took = _timed(http, "/v1/rerank", {"model": "slow-rerank", "query": "q", "documents": ["a", "b"]})
    es, es_took = _timed(http, "/_inference/rerank/slow-rerank", {"query": "q", "input": ["a", "b"]})
    assert (cohere.status_code, es.status_code) == (408, 408), (cohere.text, es.text)
    assert _reason(cohere) == _reason(es)
    for took in (cohere_took, es_took):
        assert DEFAULT <= took < DEFAULT + MARGIN


def test_a_chat_gets_the_generation_deadline_on_every_face(http: httpx.Client) -> None:
    message = [{"role": "user", "content": "Hi"}]
    openai, _ = _timed(http, "/v1/chat/completions", {"model": "slow-chat_completion", "messages": message})
    anthropic, _ = _timed(http, "/v1/messages", {"model": "slow-chat_completion", "max_tokens": 8, "messages": message})
    assert (openai.status_code, anthropic.status_code) == (408, 408), (openai.text, anthropic.text)
    assert _reason(openai).startswith(f"Request timed out after [{GENERATION:g}s]")
    assert "HFGATE_GENERATION_TIMEOUT_SECONDS" in _reason(openai)


def test_elasticsearch_timeout_overrides_the_default_and_says_so(http: httpx.Client) -> None:
    asked = 1.5
    answer, took = _timed(http, "/_inference/text_embedding/slow-text_embedding?timeout=1500ms", {"input": "a"})
    assert answer.status_code == 408, answer.text
    assert _reason(answer).startswith(f"Request timed out after [{asked:g}s]")
    assert "?timeout=" in _reason(answer)
    assert asked <= took < asked + MARGIN


def test_a_timeout_elasticsearch_cannot_read_is_a_400_naming_it(http: httpx.Client) -> None:
    answer = http.post("/_inference/text_embedding/slow-text_embedding?timeout=soon", json={"input": "a"})
    assert answer.status_code == 400, answer.text
    assert "failed to parse setting [timeout] with value [soon]" in _reason(answer)
