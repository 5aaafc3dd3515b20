"""Which engines run a model on which device, and how the device shows: the ``cuda*`` engines on a GPU
(``cuda``, exact, serving while the others are measured), the CPU's elsewhere; the GPU named in
``engine_choice``. The GPU engine's pass (transformer, then the model's own pooling in float32) is
checked here on the CPU against sentence-transformers; tests/local/test_cuda.py checks it on a GPU."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from hfgate.local.catalog import resolve_model
from hfgate.local.cpu import read_cpu
from hfgate.local.embedding.calibration import calibration_texts
from hfgate.local.embedding.cuda_engine import CudaEngine
from hfgate.local.embedding.engine import EngineOptions
from hfgate.local.embedding.engine_choice import EXACT_ENGINES, SPEED_UNIT, candidates, default_engine, engine_class
from hfgate.local.embedding.pipeline import float_rows, read_pipeline
from hfgate.local.embedding.tokens import TextTokenizer, TokenBatch
from hfgate.local.machine import GpuSignature, machine_of
from hfgate.local.measuring.choice import measuring, set_choice
from hfgate.local.measuring.fidelity import worst_cosine

MODEL = resolve_model("all-MiniLM-L6-v2").path
PIPELINE = read_pipeline(MODEL, fallback_max_length=512)
H200 = GpuSignature(name="NVIDIA H200", capability=(9, 0), device="cuda:0")


def test_on_a_gpu_the_candidates_are_the_cuda_engines_in_each_precision() -> None:
    assert candidates(PIPELINE, device="cuda") == ["cuda", "cuda-fp16", "cuda-bf16"]
    assert candidates(PIPELINE, device="cuda:1") == ["cuda", "cuda-fp16", "cuda-bf16"]


def test_on_the_cpu_no_cuda_engine_is_a_candidate() -> None:
    found = candidates(PIPELINE, device="cpu")
    assert "torch" in found
    assert not [name for name in found if name.startswith("cuda")]


def test_a_gpu_model_serves_on_exact_float32_cuda_while_its_engines_are_measured(tmp_path: Path) -> None:
    options = EngineOptions(pipeline=PIPELINE, cache_dir=tmp_path, device="cuda:0")
    assert default_engine(MODEL, options=options) == "cuda"
    assert "cuda" in EXACT_ENGINES
    assert (engine_class("cuda"), engine_class("cuda-fp16")) == ("exact", "cuda-fp16")  # caches share exact vectors


def test_the_gpu_is_named_in_engine_choice_by_its_name_index_and_compute_capability() -> None:
    on = H200.describe()
    assert on == "NVIDIA H200 (cuda:0, sm_90)"
    assert set_choice("cuda-fp16", min_cosine=0.9999, unit=SPEED_UNIT, on=on).summary() == (
        "cuda-fp16, set on NVIDIA H200 (cuda:0, sm_90)"
    )
    assert measuring("cuda", min_cosine=0.9999, unit=SPEED_UNIT, on=on).summary() == "measuring; serving on cuda"


def test_a_gpu_s_measurements_are_filed_apart_from_the_cpu_s_and_shared_by_the_same_gpu_model() -> None:
    other_index = GpuSignature(name="NVIDIA H200", capability=(9, 0), device="cuda:3")
    h100 = GpuSignature(name="NVIDIA H100 80GB HBM3", capability=(9, 0), device="cuda:0")
    assert H200.key == other_index.key
    assert H200.key.startswith("nvidia-h200-sm90-")
    assert len({H200.key, h100.key, read_cpu().key}) == 3


def test_the_cpu_device_is_described_as_this_cpu() -> None:
    assert machine_of("cpu").describe() == read_cpu().describe()


@pytest.mark.slow
def test_the_gpu_engine_s_pass_gives_sentence_transformers_vectors(tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer

    short, long = calibration_texts()
    texts = short + long
    # As the embedder gives it: pooled by the engine, normalized by the embedder.
    options = EngineOptions(pipeline=replace(PIPELINE, normalize=False), cache_dir=tmp_path, device="cpu")
    engine = CudaEngine(MODEL, options)
    tokenizer = TextTokenizer(MODEL, max_length=PIPELINE.max_seq_length)
    try:
        mine = np.array(float_rows(engine.forward(TokenBatch.pad(tokenizer.encode(texts))), unit=True))
    finally:
        engine.close()
    theirs = SentenceTransformer(str(MODEL), device="cpu", local_files_only=True).encode(texts)
    assert worst_cosine(mine, theirs) >= 0.99999
    assert engine.memory_bytes == 0


def test_a_cuda_engine_named_where_models_run_on_the_cpu_is_refused_naming_the_setting(tmp_path: Path) -> None:
    from hfgate.errors import BadRequestError
    from hfgate.local.embedding.engine_choice import load_engine

    options = EngineOptions(pipeline=PIPELINE, cache_dir=tmp_path, device="cpu")
    with pytest.raises(
        BadRequestError, match=r"The engine \[cuda-fp16\] runs on a CUDA GPU but local models run on \[cpu\]"
    ):
        load_engine("cuda-fp16", MODEL, options=options)
