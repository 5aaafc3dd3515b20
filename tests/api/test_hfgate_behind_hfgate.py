"""A `hugging_face` endpoint whose url is another hfgate's `/hf/{id}` works end to end.

The live server plays both parts: its Hugging Face-compatible routes serve the local models (the
"remote"), and its `hugging_face` service calls them over real HTTP like any TEI/TGI server.
"""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

TIMEOUT = httpx.Timeout(300.0)


def create(live_url: str, path: str, url: str) -> None:
    body = {"service": "hugging_face", "service_settings": {"url": url, "api_key": "hf_unused"}}
    response = httpx.put(f"{live_url}/_inference/{path}", json=body, timeout=TIMEOUT)
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def remote_ids(live_url: str) -> dict[str, str]:
    create(live_url, "text_embedding/via-hf-emb", f"{live_url}/hf/.all-minilm-l6-v2")
    create(live_url, "completion/via-hf-gen", f"{live_url}/hf/.smollm2-135m-instruct")
    create(live_url, "chat_completion/via-hf-chat", f"{live_url}/hf/.smollm2-135m-instruct")
    return {"emb": "via-hf-emb", "gen": "via-hf-gen", "chat": "via-hf-chat"}


def test_embeddings_through_the_hugging_face_service_equal_the_local_ones(
    live_url: str, remote_ids: dict[str, str]
) -> None:
    texts = ["hfgate behind hfgate", "the same vectors either way"]
    direct = httpx.post(f"{live_url}/_inference/.all-minilm-l6-v2", json={"input": texts}, timeout=TIMEOUT).json()
    remote = httpx.post(f"{live_url}/_inference/{remote_ids['emb']}", json={"input": texts}, timeout=TIMEOUT)
    assert remote.status_code == 200, remote.text
    got = np.array([e["embedding"] for e in remote.json()["text_embedding"]])
    want = np.array([e["embedding"] for e in direct["text_embedding"]])
    assert np.allclose(got, want, atol=1e-6)
    stored = httpx.get(f"{live_url}/_inference/{remote_ids['emb']}").json()["endpoints"][0]["service_settings"]
    assert stored["dimensions"] == 384


def test_completion_and_its_stream_through_tgi_routes(live_url: str, remote_ids: dict[str, str]) -> None:
    body = {"input": "The capital of France is", "task_settings": {"max_new_tokens": 5, "do_sample": False}}
    whole = httpx.post(f"{live_url}/_inference/completion/{remote_ids['gen']}", json=body, timeout=TIMEOUT)
    assert whole.status_code == 200, whole.text
    text = whole.json()["completion"][0]["result"]
    assert text
    streamed = httpx.post(f"{live_url}/_inference/completion/{remote_ids['gen']}/_stream", json=body, timeout=TIMEOUT)
    events = [line.removeprefix("data: ") for line in streamed.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    assert "".join(json.loads(e)["completion"][0]["delta"] for e in events[:-1]) == text


def test_chat_through_the_v1_chat_completions_route(live_url: str, remote_ids: dict[str, str]) -> None:
    body = {"messages": [{"role": "user", "content": "Say hello."}], "max_completion_tokens": 5}
    response = httpx.post(
        f"{live_url}/_inference/chat_completion/{remote_ids['chat']}/_stream", json=body, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    chunks = [line for line in response.text.splitlines() if line.startswith("data: {")]
    content = "".join(json.loads(c[6:])["chat_completion"]["choices"][0]["delta"].get("content", "") for c in chunks)
    assert content
