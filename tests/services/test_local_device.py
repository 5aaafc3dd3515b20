"""The device of the ``local`` service's in-process models, seen through the API: a GPU engine named where
models run on the CPU is refused at create, naming the setting and the device."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from hfgate.config import Settings
from tests.conftest import app_client


@pytest.mark.skipif(torch.cuda.is_available(), reason="on a machine with CUDA, auto places models on the GPU")
@pytest.mark.parametrize("device", ["auto", "cpu"])
async def test_a_cuda_engine_where_models_run_on_the_cpu_is_a_400_naming_the_setting(
    tmp_path: Path, device: str
) -> None:
    settings = Settings(data_dir=tmp_path, provision_defaults=False, log_format="text", local_device=device)
    body = {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2", "engine": "cuda-fp16"}}
    async with app_client(settings) as api:
        answer = await api.put("/_inference/text_embedding/on-gpu", json=body)
    assert answer.status_code == 400, answer.text
    assert "The engine [cuda-fp16] runs on a CUDA GPU but local models run on [cpu] here" in answer.text
    assert "HFGATE_LOCAL_DEVICE" in answer.text
