"""Where a generation model computes: transformers (and ``auto``) on the in-process device, the CPU
engines on the CPU; on a CUDA GPU ``auto``'s candidates are transformers' precisions, measured there and
filed under the GPU; the device a model is loaded on is the one its decode batch computes on, and what
the batch hands the sampler is float32 on the host. tests/local/generation/test_cuda_generation.py runs
the same code on a GPU."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from hfgate.local.cache import Compute
from hfgate.local.catalog import ModelLocation
from hfgate.local.cpu import read_cpu
from hfgate.local.generation.engine import TextGenerator
from hfgate.local.generation.engine_choice import (
    CANDIDATES,
    SPEED_UNIT,
    MeasureTarget,
    candidates,
    choice_file,
    default_engine,
    engine_device,
    measurement,
    set_engine,
)
from hfgate.local.generation.engine_measure_worker import main as measure_worker
from hfgate.local.generation.loading import ENGINE_LOADERS, ModelSource, load_language_model
from hfgate.local.generation.params import DecodingParams
from hfgate.local.machine import GpuSignature
from hfgate.local.measuring.choice import measuring
from hfgate.local.measuring.record import read_choice
from tests.local.generation.tiny_models import save_tiny_llama

H200 = GpuSignature(name="NVIDIA H200", capability=(9, 0), device="cuda:0")
ON_GPU = ["transformers-fp32", "transformers-bf16", "transformers-fp16"]
PROMPTS = ["the quick brown fox", "a model turns", "summarize : hfgate puts models behind one api"]


def test_on_a_gpu_auto_s_candidates_are_transformers_precisions_only() -> None:
    for device in ("cuda", "cuda:1"):
        assert candidates("text-generation", min_cosine=0.9999, device=device) == ON_GPU
        assert candidates("text2text-generation", min_cosine=0.9999, device=device) == ON_GPU
        assert candidates("text-generation", min_cosine=1.0, device=device) == ["transformers-fp32"]


def test_on_the_cpu_the_candidates_are_as_before_and_float16_is_not_one() -> None:
    found = candidates("text-generation", min_cosine=0.9999)
    assert found[:2] == ["transformers-fp32", "transformers-bf16"]
    assert "transformers-fp16" not in found
    assert [name for name in found if CANDIDATES[name].engine.startswith("onnx")] == found[2:]


@pytest.mark.parametrize("engine", ["onnx", "onnx-int8", "onnx-int4", "llama.cpp"])
def test_a_cpu_engine_named_where_models_run_on_a_gpu_runs_on_the_cpu(engine: str) -> None:
    assert engine_device(engine, "cuda") == "cpu"
    assert engine_device(engine, "cuda:1") == "cpu"


@pytest.mark.parametrize("engine", ["transformers", "auto"])
def test_transformers_and_auto_run_on_the_in_process_device(engine: str) -> None:
    assert engine_device(engine, "cuda:1") == "cuda:1"
    assert engine_device(engine, "cpu") == "cpu"


def test_auto_on_a_gpu_serves_on_float32_while_measuring_even_with_an_onnx_export_on_disk(tmp_path: Path) -> None:
    assert default_engine(tmp_path, task="text-generation", cache_dir=tmp_path, device="cuda") == "transformers-fp32"


def test_a_gpu_measurement_runs_the_worker_on_the_gpu_and_is_filed_under_it(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    target = MeasureTarget(path=tmp_path, task="text-generation", cpu=H200, device="cuda:0")
    measured = measurement(target, folder=tmp_path / "choices", cache_dir=tmp_path)
    assert "--device=cuda:0" in measured.args
    assert f"--engines={','.join(ON_GPU)}" in measured.args
    assert measured.cpu == H200.key
    assert measured.record.name.endswith(f"-{H200.key}.json")
    on_cpu = measurement(
        MeasureTarget(path=tmp_path, task="text-generation"), folder=tmp_path / "choices", cache_dir=tmp_path
    )
    assert "--device=cpu" in on_cpu.args
    assert on_cpu.record != measured.record
    assert on_cpu.record == choice_file(
        tmp_path,
        threads=0,
        min_cosine=0.9999,
        cpu=read_cpu(),
        names=candidates("text-generation", min_cosine=0.9999),
        folder=tmp_path / "choices",
    )


def test_the_gpu_is_named_in_a_generation_engine_choice() -> None:
    on = H200.describe()
    set_on_gpu = set_engine("transformers", dtype="float16", on=on)
    assert set_on_gpu.summary() == "transformers (float16), set on NVIDIA H200 (cuda:0, sm_90)"
    assert measuring("transformers-fp32", min_cosine=0.9999, unit=SPEED_UNIT, on=on).cpu == on


@pytest.mark.slow
async def test_the_device_threaded_through_on_the_cpu_gives_transformers_greedy_output(tmp_path: Path) -> None:
    """The path a GPU takes (the device from the endpoint's source down to the batch's tensors), on the CPU."""
    path = save_tiny_llama(tmp_path / "tiny")
    source = ModelSource(
        location=ModelLocation(model_id="tiny", path=path), converted=path, dtype="float32", device="cpu"
    )
    lm = ENGINE_LOADERS["transformers"](source)
    assert (lm.device, lm.model.device.type) == ("cpu", "cpu")
    assert lm.memory_bytes > 0  # on the CPU its weights are host memory
    lm.eos_ids = frozenset()  # random weights: decode the full length to compare every token
    compute = Compute()
    generator = TextGenerator(lm, compute=compute, max_batch_size=4)
    try:
        assert generator.device == "cpu"
        prompts = [generator.encode_prompt(p) for p in PROMPTS]
        got = [[d.token_id async for d in generator.stream(p, DecodingParams(max_new_tokens=10))] for p in prompts]
    finally:
        await generator.aclose()
        compute.close()
    for prompt, tokens in zip(prompts, got, strict=True):
        ids = torch.tensor([prompt])
        want = lm.model.generate(
            ids, attention_mask=torch.ones_like(ids), max_new_tokens=10, min_new_tokens=10,
            do_sample=False, eos_token_id=None, pad_token_id=0,
        )  # fmt: skip
        assert tokens == [int(t) for t in want[0, len(prompt) :]]


@pytest.mark.slow
def test_the_batch_hands_the_sampler_float32_logits_on_the_host_whatever_the_weights(tmp_path: Path) -> None:
    path = save_tiny_llama(tmp_path / "tiny")
    for dtype in ("bfloat16", "float16"):
        lm = load_language_model(path, task="text-generation", dtype=dtype, device="cpu")
        batch = lm.make_batch()
        first = batch.prefill([[5, 6, 7], [8]])
        assert (first.dtype, first.device.type, tuple(first.shape)) == (
            torch.float32,
            "cpu",
            (2, lm.model.config.vocab_size),
        )
        after = batch.step([int(i) for i in first.argmax(dim=-1)])
        assert (after.dtype, after.device.type) == (torch.float32, "cpu")


@pytest.mark.slow
def test_the_measurement_worker_takes_the_device_and_measures_there(tmp_path: Path) -> None:
    path = save_tiny_llama(tmp_path / "tiny")
    record = tmp_path / "choice.json"
    argv = [str(path), str(record), "--task=text-generation", f"--cache-dir={tmp_path}", "--device=cpu"]
    assert measure_worker([*argv, "--engines=transformers-fp32,transformers-bf16", "--rounds=1"]) == 0
    choice = read_choice(record)
    assert choice is not None
    assert {figure.engine for figure in choice.figures} == {"transformers-fp32", "transformers-bf16"}
    assert choice.cpu == read_cpu().describe()
