"""``HFGATE_LOCAL_DEVICE``: its spelling checked by ``Settings``, the device checked against what torch
sees when hfgate starts (``auto`` is the CPU on a machine without CUDA, ``cuda`` there an error)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from pydantic import ValidationError

from hfgate.config import Settings
from hfgate.errors import DeviceUnavailableError
from hfgate.local.device import resolve_device
from tests.conftest import app_client

NO_CUDA = not torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(NO_CUDA, reason="needs a CUDA GPU that torch sees (this machine has none)")


@pytest.mark.parametrize("given", ["gpu", "cuda:", "cuda:x", "CPU", "mps"])
def test_a_device_misspelt_is_refused_naming_the_setting_and_its_values(given: str) -> None:
    with pytest.raises(ValidationError, match=r"HFGATE_LOCAL_DEVICE must be auto, cpu, cuda or cuda:N"):
        Settings(local_device=given)


@pytest.mark.parametrize("given", ["auto", "cpu", "cuda", "cuda:0", "cuda:12"])
def test_every_documented_spelling_is_accepted(given: str) -> None:
    assert Settings(local_device=given).local_device == given


def test_cpu_is_the_cpu_whatever_the_machine() -> None:
    assert resolve_device("cpu") == "cpu"


@pytest.mark.skipif(not NO_CUDA, reason="on a machine with CUDA, auto is the GPU (see the test below)")
def test_auto_is_the_cpu_where_torch_sees_no_gpu() -> None:
    assert resolve_device("auto") == "cpu"


@needs_cuda
def test_auto_is_the_first_gpu_where_torch_sees_one() -> None:
    assert resolve_device("auto") == "cuda"


@pytest.mark.skipif(not NO_CUDA, reason="this machine has a CUDA GPU, so cuda is no error here")
def test_cuda_without_cuda_is_an_error_naming_the_setting_and_the_fix() -> None:
    with pytest.raises(DeviceUnavailableError, match=r"HFGATE_LOCAL_DEVICE is \[cuda\] but torch sees no CUDA"):
        resolve_device("cuda")


async def test_a_gpu_this_machine_lacks_stops_hfgate_at_start(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, provision_defaults=False, log_format="text", local_device="cuda:64")
    with pytest.raises(DeviceUnavailableError, match=r"set HFGATE_LOCAL_DEVICE=auto or cpu"):
        async with app_client(settings):
            pass


@pytest.mark.skipif(not torch.__version__.endswith("+cpu"), reason="only a CPU build of torch is known GPU-less unread")
def test_auto_on_a_cpu_build_of_torch_is_the_cpu_without_importing_torch() -> None:
    # a first embedding on ONNX Runtime must not wait seconds for torch's import just to count GPUs
    probe = "import sys; from hfgate.local.device import resolve_device as r; print(r('auto'), 'torch' in sys.modules)"
    answer = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert answer.stdout.split() == ["cpu", "False"]
