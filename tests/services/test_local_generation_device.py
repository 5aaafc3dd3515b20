"""The ``local`` service's in-process generation where local models run on a CUDA GPU, checked on a machine
without one: torch is told it sees one GPU (``torch.cuda.device_count``, what ``HFGATE_LOCAL_DEVICE``
is resolved against) and the model cache reads the GPU's free memory as given numbers (the boundary the
GPU memory rule reads). A transformers model, or ``auto`` without vLLM installed, claims GPU memory
before it loads and is refused with 507 naming the model when it cannot fit; a CPU engine named there
claims none and runs on the CPU. tests/local/generation/test_cuda_generation.py loads onto a real GPU."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import torch

from hfgate.config import Settings
from hfgate.errors import GpuMemoryFullError
from hfgate.local.cache import Compute, ModelCache
from hfgate.local.cpu import read_cpu
from hfgate.local.device import cuda_device_count
from hfgate.local.gpu_memory import MIB
from hfgate.local.weights_size import float32_bytes
from hfgate.process.runtime import rate_limiters
from hfgate.registry.endpoint import Endpoint
from hfgate.services import ServiceContext
from hfgate.services.local import LocalService
from hfgate.services.local.managed_vllm import vllm_installed
from hfgate.tasks import GenerateRequest, GenerationParams, TaskType
from tests.local.generation.tiny_models import save_tiny_llama

RESERVE_MB = 64


class GpuNumbers:
    """A GPU as numbers: the free memory the driver would report; every read is kept."""

    def __init__(self, free: int) -> None:
        self.free = free
        self.reads: list[str] = []

    def free_bytes(self, device: str) -> int:
        self.reads.append(device)
        return self.free

    def release_cached(self, device: str) -> None:
        pass


@pytest.fixture
def one_gpu(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """torch reports one CUDA device (its CPU build still cannot compute on it)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    cuda_device_count.cache_clear()
    try:
        yield
    finally:
        monkeypatch.undo()
        cuda_device_count.cache_clear()


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Heads of 16 dimensions: the least ONNX Runtime's quantized attention takes (the onnx test below).
    return save_tiny_llama(tmp_path_factory.mktemp("tiny-llama-gpu"), heads=2)


def on_gpu_service(tmp_path: Path, gpu: GpuNumbers) -> tuple[LocalService, ServiceContext]:
    settings = Settings(
        data_dir=tmp_path, provision_defaults=False, log_format="text", local_device="cuda",
        local_gpu_reserve_mb=RESERVE_MB,
    )  # fmt: skip
    resources = (ModelCache(budget_bytes=1 << 30, gpu=gpu), Compute())
    context = ServiceContext(settings=settings, resources=resources, limiters=rate_limiters(settings))
    return LocalService(context), context


@pytest.fixture
async def refusing_gpu(tmp_path: Path, one_gpu: None) -> AsyncIterator[tuple[LocalService, GpuNumbers]]:
    """The service, on a GPU with 10 MiB free: less than any model's reserve."""
    gpu = GpuNumbers(free=10 * MIB)
    service, context = on_gpu_service(tmp_path, gpu)
    try:
        yield service, gpu
    finally:
        await service.aclose()
        context.close()


def endpoint(path: Path, **settings: object) -> Endpoint:
    service_settings = {"model": str(path), "task": "text-generation", **settings}
    return Endpoint(
        inference_id="tiny", task_type=TaskType.COMPLETION, service="local", service_settings=service_settings
    )


REQUEST = GenerateRequest(prompt="the quick brown fox", params=GenerationParams(max_new_tokens=4))


async def test_a_transformers_model_that_cannot_fit_on_the_gpu_is_a_507_naming_it_and_the_free_memory(
    refusing_gpu: tuple[LocalService, GpuNumbers], tiny_llama: Path
) -> None:
    service, gpu = refusing_gpu
    with pytest.raises(GpuMemoryFullError) as refused:
        await service.open(endpoint(tiny_llama, engine="transformers", dtype="float16")).generate(REQUEST)
    weights = float32_bytes(tiny_llama)  # float32 whatever the dtype: what the rule counts for every model
    assert refused.value.status == 507
    assert refused.value.reason.startswith(
        f"The local model [{tiny_llama}] needs {(weights + RESERVE_MB * MIB) // MIB} MiB of GPU memory on [cuda] "
        f"({weights // MIB} MiB of weights + {RESERVE_MB} MiB for its passes, HFGATE_LOCAL_GPU_RESERVE_MB) "
        "but 10 MiB are free there"
    )
    assert gpu.reads == ["cuda"]


async def test_auto_without_vllm_installed_is_bound_for_the_gpu_in_process_and_claims_its_memory(
    refusing_gpu: tuple[LocalService, GpuNumbers], tiny_llama: Path
) -> None:
    service, gpu = refusing_gpu
    if vllm_installed(service.context.settings):
        pytest.skip("vLLM is installed in this environment: auto on a GPU is given to a managed vLLM here")
    with pytest.raises(GpuMemoryFullError, match=r"needs \d+ MiB of GPU memory on \[cuda\]"):
        await service.check(endpoint(tiny_llama), timeout=30)  # engine: auto, by default
    assert gpu.reads == ["cuda"]


@pytest.mark.slow
async def test_an_onnx_engine_named_where_models_run_on_a_gpu_runs_on_the_cpu_and_claims_no_gpu_memory(
    refusing_gpu: tuple[LocalService, GpuNumbers], tiny_llama: Path
) -> None:
    pytest.importorskip("onnxruntime_genai")
    service, gpu = refusing_gpu
    onnx = endpoint(tiny_llama, engine="onnx")
    checked = await service.check(onnx, timeout=120)
    assert checked.service_settings["engine_choice"] == f"onnx, set on {read_cpu().describe()}"
    generation = await service.open(checked).generate(REQUEST)
    assert generation.usage.completion_tokens == 4
    assert service.observed(checked)["device"] == "cpu"
    assert gpu.reads == []
