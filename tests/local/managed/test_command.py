"""A managed vLLM's command line and environment: the configured interpreter running vLLM's server
module on the snapshot, on the loopback port, with the GPU's share and index only on a GPU."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hfgate.config import Settings
from hfgate.local.managed.command import SERVER_MODULE, VllmModel


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
