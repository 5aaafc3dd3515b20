"""Engines chosen by measurement: real engines timed on MiniLM, the fastest faithful one kept and cached."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfgate.local.batching import BatchLimits
from hfgate.local.cache import Compute
from hfgate.local.catalog import resolve_model
from hfgate.local.cpu import CpuSignature, read_cpu
from hfgate.local.embedding.calibration import calibration_texts
from hfgate.local.embedding.embedder import SentenceEmbedder
from hfgate.local.embedding.engine import EngineOptions
from hfgate.local.embedding.engine_choice import candidates, choice_file, choose_engine
from hfgate.local.embedding.engine_measure_worker import measure, served_passes
from hfgate.local.embedding.pipeline import EmbeddingPipeline, read_pipeline
from hfgate.local.embedding.tokens import TextTokenizer
from hfgate.local.measuring.record import MeasuredChoice, MeasuredEngine

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`

MODEL = resolve_model("all-MiniLM-L6-v2").path
PIPELINE = read_pipeline(MODEL, fallback_max_length=512)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared by the tests, so the ONNX export and its int8 variant are made once."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def measured(models_dir: Path) -> MeasuredChoice:
    """One real measurement of an exact, an int8 and a bfloat16 engine (one round: the logic, not the speed)."""
    options = EngineOptions(pipeline=PIPELINE, cache_dir=models_dir)
    names = ["torch", "onnx-int8", "torch-bf16"]
    return measure(MODEL, options=options, names=names, min_cosine=0.9999, cpu=read_cpu(), rounds=1)


def test_every_candidate_is_timed_and_compared_to_float32(measured: MeasuredChoice) -> None:
    figures = {f.engine: f for f in measured.figures}
    assert set(figures) == {"torch", "onnx-int8", "torch-bf16"}
    assert all(f.speed and f.speed > 0 and f.error is None for f in figures.values())
    assert (figures["torch"].exact, figures["torch"].worst_cosine) == (True, 1.0), "the reference itself"
    assert figures["onnx-int8"].worst_cosine is not None
    assert 0.9 < figures["onnx-int8"].worst_cosine < 0.9999
    speeds = [f.speed or 0.0 for f in measured.figures]
    assert speeds == sorted(speeds, reverse=True), "fastest first"
    assert measured.unit == "texts/s"
    assert measured.load is not None
    assert measured.load.wall_seconds > 0
    assert measured.load.cpu_seconds > 0
    assert measured.public()["load"]["cpus"] >= 1, "the load it ran under is kept with the record"


def test_the_fastest_engine_meeting_min_cosine_is_chosen(measured: MeasuredChoice) -> None:
    qualified = [f for f in measured.figures if f.meets(0.9999)]
    assert measured.engine == qualified[0].engine
    assert measured.engine != "onnx-int8", "int8 misses cosine 0.9999 on MiniLM"
    assert "(below 0.9999)" in measured.summary()
    assert measured.summary().startswith(f"{measured.engine}, measured")


def test_an_approximate_engine_qualifies_only_by_its_measured_cosine() -> None:
    fast = MeasuredEngine(engine="onnx-int8", exact=False, speed=900.0, worst_cosine=0.986)
    unknown = MeasuredEngine(engine="torch-bf16", exact=False, speed=800.0)
    failed = MeasuredEngine(engine="onnx", exact=True, error="HfGateError: export failed")
    assert (fast.meets(0.9999), fast.meets(0.98), unknown.meets(0.0), failed.meets(0.0)) == (False, True, False, False)


def test_no_qualifying_engine_is_an_error_naming_the_figures(models_dir: Path) -> None:
    options = EngineOptions(pipeline=PIPELINE, cache_dir=models_dir)
    with pytest.raises(RuntimeError, match=r"No engine of \[onnx-int8\] ran at cosine >= 0.9999"):
        measure(MODEL, options=options, names=["onnx-int8"], min_cosine=0.9999, cpu=read_cpu(), rounds=1)


def test_the_choice_is_measured_once_per_kind_of_cpu_and_reused(models_dir: Path) -> None:
    # one attempt: a choice measured while the machine is busy (as under the test suite) is kept, not
    # measured again (tests/local/measuring/test_load.py covers that)
    options = EngineOptions(pipeline=PIPELINE, cache_dir=models_dir, measure_attempts=1)
    here = read_cpu()
    first = choose_engine(MODEL, options=options, names=["torch", "onnx"])
    assert (first.reason, first.cpu) == ("measured", here.describe())
    assert first.engine in {"torch", "onnx"}
    assert {f.engine for f in first.figures} == {"torch", "onnx"}
    record = choice_file(MODEL, options=options, min_cosine=0.9999, cpu=here, names=["torch", "onnx"])
    written = record.stat().st_mtime_ns
    again = choose_engine(MODEL, options=options, names=["torch", "onnx"])
    assert (again.reason, again.engine, again.figures) == ("cached", first.engine, first.figures)
    assert record.stat().st_mtime_ns == written, "not measured again"
    other = CpuSignature(model=here.model, flags=here.flags - {"avx512_bf16", "amx_bf16"} | {"made-up-flag"})
    other_record = choice_file(MODEL, options=options, min_cosine=0.9999, cpu=other, names=["torch", "onnx"])
    assert other_record != record, "another CPU (same name, other flags) gets a measurement of its own"


def test_a_set_engine_is_not_measured(tmp_path: Path) -> None:
    model = SentenceEmbedder(MODEL, compute=Compute(), cache_dir=tmp_path, engine="torch")
    try:
        assert (model.engine_name, model.engine_choice.reason, model.engine_choice.figures) == ("torch", "set", ())
    finally:
        model.close()
    assert not (tmp_path / "engine-choice").exists()


def test_candidates_are_the_installed_engines_that_can_run_the_pipeline() -> None:
    assert candidates(PIPELINE) == ["onnx", "onnx-fused", "onnx-int8", "torch", "torch-bf16", "torch-amp"]
    assert "onnx-int8-selective" in candidates(PIPELINE, min_cosine=0.999), "built for 0.999: a candidate there"
    with_dense = EmbeddingPipeline(
        pooling=("mean",), normalize=True, max_seq_length=256, unsupported=("sentence_transformers.models.Dense",)
    )
    assert candidates(with_dense) == ["torch", "torch-bf16", "torch-amp"], "ONNX export covers no Dense stage"


def test_cpu_signature_reads_model_name_and_flags(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Gold 6338\nflags\t\t: fpu avx2 avx512f avx512_vnni\n"
    )
    cpu = read_cpu(cpuinfo)
    assert (cpu.model, cpu.native_bfloat16) == ("Intel(R) Xeon(R) Gold 6338", False)
    assert cpu.describe() == "Intel(R) Xeon(R) Gold 6338 (avx2 avx512f avx512_vnni)"
    assert cpu.key.startswith("intel-r-xeon-r-gold-6338-")


def test_calibration_texts_are_timed_in_the_passes_the_batcher_would_cut() -> None:
    tokenizer = TextTokenizer(MODEL, max_length=PIPELINE.max_seq_length)
    limits = BatchLimits()
    for texts in calibration_texts():
        passes = served_passes(tokenizer.encode(texts), limits)
        assert sum(int(batch.input_ids.shape[0]) for batch in passes) == len(texts)
        widths = [int(batch.input_ids.shape[1]) for batch in passes]
        assert widths == sorted(widths), "shortest texts first, as pack_by_length sorts them"
        assert all(b.input_ids.size <= limits.max_batch_tokens or b.input_ids.shape[0] == 1 for b in passes)
    passages = calibration_texts()[1]
    assert len(served_passes(tokenizer.encode(passages), limits)) > 1, "passages are not timed as one batch"
