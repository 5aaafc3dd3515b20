"""A managed vLLM's command line and environment: the configured interpreter running vLLM's server
module on the snapshot, on the loopback port, with the GPU's share and index on a GPU, and on a CPU a KV
cache sized at each start unless vLLM's memory is given by hand."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from hfgate.config import Settings
from hfgate.errors import HostMemoryFullError
from hfgate.local.managed.command import SERVER_MODULE, VllmModel
from hfgate.local.managed.memory import (
    GIB,
    MIB,
    MIN_KV_CACHE_BYTES,
    RUNTIME_BYTES,
    NodeMemory,
    plan_cpu_memory,
    smallest_claim,
)


def model(**given: object) -> VllmModel:
    return VllmModel(snapshot=Path("/models/smol"), served_name="smol", **given)  # type: ignore[arg-type]


def test_on_the_cpu_hfgates_own_python_runs_the_server_module_on_the_snapshot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    launch = model(device="cpu", extra=("--max-model-len", "2048")).launch(8123)
    assert launch.argv == (
        sys.executable, "-m", SERVER_MODULE, "--model", "/models/smol", "--served-model-name", "smol",
        "--host", "127.0.0.1", "--port", "8123", "--max-model-len", "2048",
    )  # fmt: skip
    assert launch.url == "http://127.0.0.1:8123"
    assert launch.env["HF_HUB_OFFLINE"] == "1"  # the snapshot is on disk
    assert launch.env["CUDA_VISIBLE_DEVICES"] == ""  # left as hfgate has it


def test_on_a_gpu_the_server_gets_its_memory_share_and_sees_only_its_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    launch = model(device="cuda:1", dtype="bfloat16", gpu_memory_share=0.45).launch(8123)
    argv = list(launch.argv)
    assert argv[argv.index("--gpu-memory-utilization") + 1] == "0.45"
    assert argv[argv.index("--dtype") + 1] == "bfloat16"
    assert launch.env["CUDA_VISIBLE_DEVICES"] == "1"
    assert "CUDA_VISIBLE_DEVICES" not in model(device="cuda").launch(8123).env


def test_another_python_runs_without_hfgates_import_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", "/src/hfgate")
    launch = model(device="cpu", python=Path("/opt/vllm/bin/python")).launch(8123)
    assert launch.argv[0] == "/opt/vllm/bin/python"
    assert "PYTHONPATH" not in launch.env
    assert model(device="cpu").launch(8123).env["PYTHONPATH"] == "/src/hfgate"


def test_two_endpoints_share_a_server_only_when_everything_it_runs_with_is_the_same() -> None:
    assert model(device="cpu").key() == model(device="cpu").key()
    assert model(device="cpu").key() != model(device="cpu", dtype="float32").key()
    assert model(device="cpu").key() != model(device="cpu", extra=("--enforce-eager",)).key()


def test_vllm_args_are_split_as_a_shell_would(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFGATE_VLLM_ARGS", "--max-model-len 4096 --chat-template '/a b/t.jinja'")
    assert Settings().vllm_args == ["--max-model-len", "4096", "--chat-template", "/a b/t.jinja"]


def weights_of(folder: Path, numbers: int) -> Path:
    """A model folder whose one safetensors file holds ``numbers`` float32 numbers."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file({"w": np.zeros(numbers, dtype=np.float32)}, str(folder / "model.safetensors"))
    return folder


def test_on_the_cpu_each_start_gets_a_kv_cache_sized_from_the_memory_free_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VLLM_CPU_KVCACHE_SPACE", raising=False)
    snapshot = weights_of(tmp_path / "smol", 1 << 20)
    free = [8 * GIB]
    memory = lambda: NodeMemory(node=0, total=16 * GIB, available=free[0])  # noqa: E731
    launch = VllmModel(snapshot=snapshot, served_name="smol", device="cpu", memory=memory).launch(8123)
    assert "--gpu-memory-utilization" not in launch.argv  # vLLM's share is not checked when the KV cache is given
    command = launch.command()
    assert command[: len(launch.argv)] == launch.argv
    assert command[len(launch.argv) :] == plan_cpu_memory(model="smol", weights=4 * MIB, memory=memory()).args()
    free[0] = 3 * GIB + 64 * MIB  # the next start finds less free: a smaller KV cache
    assert launch.command()[-1] == str((3 * GIB + 64 * MIB - 4 * MIB - RUNTIME_BYTES) // 2)
    assert int(command[-1]) > int(launch.command()[-1]) >= MIN_KV_CACHE_BYTES
    free[0] = 2 * GIB
    with pytest.raises(HostMemoryFullError):
        launch.command()
    assert launch.needs_memory is not None
    assert launch.needs_memory() == smallest_claim(4 * MIB)
    assert launch.free_memory is not None
    assert launch.free_memory() == 2 * GIB


def test_on_the_cpu_a_share_set_by_hand_is_passed_and_is_what_must_be_free(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VLLM_CPU_KVCACHE_SPACE", raising=False)
    memory = lambda: NodeMemory(node=0, total=16 * GIB + 1, available=GIB)  # noqa: E731
    launch = model(device="cpu", gpu_memory_share=0.5, memory=memory).launch(8123)
    argv = list(launch.argv)
    assert argv[argv.index("--gpu-memory-utilization") + 1] == "0.5"
    assert launch.command() == launch.argv  # nothing sized by hfgate
    assert launch.needs_memory is not None
    assert launch.needs_memory() == 8 * GIB + 1  # vLLM's own check: ceil(total × share) available
    assert "lower HFGATE_VLLM_GPU_MEMORY_SHARE (now 0.5" in launch.memory_fix


@pytest.mark.parametrize(
    ("env", "extra"),
    [({"VLLM_CPU_KVCACHE_SPACE": "2"}, ()), ({}, ("--kv-cache-memory-bytes=1073741824",))],
)
def test_on_the_cpu_vllms_memory_given_by_hand_is_left_to_vllm(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], extra: tuple[str, ...]
) -> None:
    monkeypatch.delenv("VLLM_CPU_KVCACHE_SPACE", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    launch = model(device="cpu", extra=extra).launch(8123)
    assert launch.command() == launch.argv
    assert launch.needs_memory is None
    assert "VLLM_CPU_KVCACHE_SPACE in hfgate's environment, or a memory argument in HFGATE_VLLM_ARGS" in (
        launch.memory_fix
    )


def test_on_a_gpu_the_share_is_09_unless_set() -> None:
    argv = list(model(device="cuda").launch(8123).argv)
    assert argv[argv.index("--gpu-memory-utilization") + 1] == "0.9"
