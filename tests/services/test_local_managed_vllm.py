"""Creating a ``local`` endpoint on engine ``vllm`` where hfgate cannot start vLLM: a 400 at create that
names the setting to fix; a server that exits saying it lacks memory answers 507 with its reason (the
managed server itself runs in ``tests/engines/test_managed_vllm.py`` and ``test_managed_vllm_memory.py``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from hfgate.config import Settings
from hfgate.process.runtime import rate_limiters
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import ServiceContext
from hfgate.services.local.managed_vllm import ManagedVllm
from hfgate.tasks import TaskType
from tests.conftest import app_client
from tests.support import waiting
from tests.support.processes import group_alive

SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"
BODY = {"service": "local", "service_settings": {"model": SMOLLM2, "engine": "vllm"}}


def settings(tmp_path: Path, **given: object) -> Settings:
    return Settings(data_dir=tmp_path, provision_defaults=False, log_format="text", local_device="cpu", **given)  # type: ignore[arg-type]


async def test_a_vllm_python_that_is_not_a_file_is_refused_naming_the_setting(tmp_path: Path) -> None:
    async with app_client(settings(tmp_path, vllm_python=tmp_path / "no-python")) as http:
        answer = await http.put("/_inference/chat_completion/smol", json=BODY)
        assert answer.status_code == 400
        reason = answer.json()["error"]["reason"]
        assert f"HFGATE_VLLM_PYTHON is [{tmp_path / 'no-python'}], which is not a file" in reason
        assert (await http.get("/_inference/smol")).status_code == 404


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="hfgate's own Python has vLLM here")
async def test_engine_vllm_without_vllm_is_refused_naming_what_to_install_or_set(tmp_path: Path) -> None:
    async with app_client(settings(tmp_path)) as http:
        answer = await http.put("/_inference/completion/smol", json=BODY)
        assert answer.status_code == 400
        reason = answer.json()["error"]["reason"]
        assert "The [vllm] engine needs vLLM" in reason
        assert "set HFGATE_VLLM_PYTHON" in reason


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.local.generation.tiny_models import save_tiny_llama

    return save_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


def never_ready(tmp_path: Path) -> Path:
    """A "python" whose server never answers: the endpoint stays loading (vLLM itself: tests/engines)."""
    script = tmp_path / "python"
    script.write_text("#!/bin/sh\nexec sleep 600\n")
    script.chmod(0o755)
    return script


VLLM_REFUSES = (
    "ValueError: Available memory on node 0 (8.67/11.84 GiB) on startup is less than desired CPU memory "
    "utilization (1.0, 11.84 GiB)."
)


def refusing_memory(tmp_path: Path) -> Path:
    """A "python" that exits as vLLM does when the share it is given is not free (vLLM itself: tests/engines)."""
    script = tmp_path / "python"
    script.write_text(f"#!/bin/sh\necho 'INFO starting'\necho '{VLLM_REFUSES}' >&2\nexit 1\n")
    script.chmod(0o755)
    return script


async def test_a_server_refused_for_memory_answers_507_with_its_reason_shown_by_the_endpoint(
    tmp_path: Path, tiny_llama: Path
) -> None:
    body = {"service": "local", "service_settings": {"model": str(tiny_llama), "engine": "vllm"}}
    given = settings(tmp_path, vllm_python=refusing_memory(tmp_path), vllm_gpu_memory_share=1.0)
    async with app_client(given) as http:
        assert (await http.put("/_inference/chat_completion/tiny", json=body)).status_code == 200

        async def failed() -> bool:
            shown = (await http.get("/_inference/tiny")).json()["endpoints"][0]["service_settings"]
            return shown["model_state"]["state"] == "failed"

        await waiting.until_true(failed, within=20, what="the server's failure")
        state = (await http.get("/_inference/tiny")).json()["endpoints"][0]["service_settings"]["model_state"]
        assert state["cause"] == "memory"
        assert state["reason"].startswith(f"{VLLM_REFUSES} (the server exited with status 1); started again once ")
        asked = {"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}
        refused = await http.post("/v1/chat/completions", json=asked)
        assert refused.status_code == 507
        message = refused.json()["error"]["message"]
        assert message.startswith(f"The vLLM server of [tiny] (model [{tiny_llama}]) cannot start in the memory free: ")
        assert VLLM_REFUSES in message
        assert "lower HFGATE_VLLM_GPU_MEMORY_SHARE (now 1.0" in message
        es = await http.post("/_inference/chat_completion/tiny/_stream", json={"messages": asked["messages"]})
        assert es.status_code == 507
        assert "restarts" not in state


async def test_a_starting_server_answers_503_with_retry_after_and_deleting_stops_it(
    tmp_path: Path, tiny_llama: Path
) -> None:
    body = {"service": "local", "service_settings": {"model": str(tiny_llama), "engine": "vllm"}}
    async with app_client(settings(tmp_path, vllm_python=never_ready(tmp_path))) as http:
        assert (await http.put("/_inference/chat_completion/tiny", json=body)).status_code == 200
        shown = (await http.get("/_inference/tiny")).json()["endpoints"][0]["service_settings"]
        assert shown["device"] == "cpu"
        assert shown["engine_choice"] == f"vllm: a vLLM server hfgate runs on cpu ({tmp_path / 'python'})"
        assert shown["model_state"]["state"] == "loading"
        pid = shown["model_state"]["pid"]
        assert group_alive(pid)
        asked = {"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}
        refused = await http.post("/v1/chat/completions", json=asked)
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "10"
        assert refused.json()["error"]["message"] == (
            f"The vLLM server of [tiny] (model [{tiny_llama}]) is starting; try again shortly"
        )
        assert (await http.delete("/_inference/tiny")).status_code == 200
        assert not group_alive(pid)


async def test_stopping_hfgate_stops_its_servers(tmp_path: Path, tiny_llama: Path) -> None:
    body = {"service": "local", "service_settings": {"model": str(tiny_llama), "engine": "vllm"}}
    async with app_client(settings(tmp_path, vllm_python=never_ready(tmp_path))) as http:
        assert (await http.put("/_inference/completion/tiny", json=body)).status_code == 200
        pid = (await http.get("/_inference/tiny")).json()["endpoints"][0]["service_settings"]["model_state"]["pid"]
        assert group_alive(pid)
    assert not group_alive(pid)


@pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason="needs a CUDA GPU that torch sees: engine auto picks the managed vLLM only on a GPU",
)
async def test_engine_auto_on_a_gpu_with_vllm_generates_through_a_managed_vllm(
    tmp_path: Path, tiny_llama: Path
) -> None:
    given = Settings(data_dir=tmp_path, provision_defaults=False, log_format="text", vllm_python=never_ready(tmp_path))
    body = {"service": "local", "service_settings": {"model": str(tiny_llama)}}
    async with app_client(given) as http:
        assert (await http.put("/_inference/completion/tiny", json=body)).status_code == 200
        shown = (await http.get("/_inference/tiny")).json()["endpoints"][0]["service_settings"]
        assert shown["engine_choice"].startswith("vllm: a vLLM server hfgate runs on cuda")
        assert shown["device"] == "cuda"


@pytest.mark.parametrize(
    ("task_type", "engine", "managed"),
    [
        (TaskType.CHAT_COMPLETION, "vllm", True),
        (TaskType.COMPLETION, "vllm", True),
        (TaskType.COMPLETION, "auto", False),  # on the CPU, auto measures the in-process engines
        (TaskType.COMPLETION, "transformers", False),
        (TaskType.TEXT_EMBEDDING, "vllm", False),  # embeddings stay in-process
    ],
)
def test_which_endpoints_a_managed_vllm_serves_on_the_cpu(
    tmp_path: Path, task_type: TaskType, engine: str, managed: bool
) -> None:
    given = settings(tmp_path, vllm_python=never_ready(tmp_path))
    chosen = ManagedVllm(ServiceContext(settings=given, limiters=rate_limiters(given)))
    endpoint = Endpoint(
        inference_id="e", task_type=task_type, service="local", service_settings={"model": "m", "engine": engine}
    )
    assert chosen.applies(endpoint) is managed
