"""The record of an engine chosen by measurement: who may be chosen, the summary line, the file round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfgate.local.generation.engine_measure_worker import speed_figure
from hfgate.local.measuring.record import MeasuredChoice, MeasuredEngine, model_files_digest, read_choice, write_choice

EXACT = MeasuredEngine(engine="onnx", exact=True, speed=141.1, worst_cosine=1.0, detail="1 row 72.9, 8 rows 273.2")
INT8 = MeasuredEngine(engine="onnx-int8", exact=False, speed=228.1, worst_cosine=0.989568)
BROKEN = MeasuredEngine(engine="onnx-int4", exact=False, error="HfGateError: export failed")


def test_an_inexact_engine_qualifies_only_at_or_above_min_cosine_and_a_failed_one_never() -> None:
    assert (INT8.meets(0.98), INT8.meets(0.989568), INT8.meets(0.9999)) == (True, True, False)
    assert EXACT.meets(1.0)
    assert not BROKEN.meets(0.0)


def test_the_summary_names_the_engine_why_where_and_every_figure() -> None:
    choice = MeasuredChoice(
        engine="onnx", reason="measured", cpu="AMD EPYC (avx512f)", min_cosine=0.9999, unit="tokens/s",
        figures=(INT8, EXACT, BROKEN),
    )  # fmt: skip
    assert choice.summary() == (
        "onnx, measured on AMD EPYC (avx512f): onnx-int8 228.1 tokens/s, cosine 0.989568 (below 0.9999); "
        "onnx 141.1 tokens/s (1 row 72.9, 8 rows 273.2), cosine 1; onnx-int4 failed (HfGateError: export failed)"
    )


def test_a_written_choice_reads_back_as_cached_and_an_unreadable_one_as_none(tmp_path: Path) -> None:
    choice = MeasuredChoice(
        engine="onnx", reason="measured", cpu="x", min_cosine=0.5, unit="tokens/s", figures=(EXACT, INT8)
    )
    record = tmp_path / "choices" / "model.json"
    write_choice(record, choice)
    again = read_choice(record)
    assert again is not None
    assert (again.reason, again.engine, again.figures, again.unit) == ("cached", "onnx", (EXACT, INT8), "tokens/s")
    record.write_text("{not json")
    assert read_choice(record) is None
    assert read_choice(tmp_path / "missing.json") is None


def test_the_model_digest_changes_with_the_weights_and_the_parts(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"1234")
    first = model_files_digest(tmp_path, "v1", 0)
    assert model_files_digest(tmp_path, "v1", 0) == first
    assert model_files_digest(tmp_path, "v1", 2) != first
    (tmp_path / "model.safetensors").write_bytes(b"12345")
    assert model_files_digest(tmp_path, "v1", 0) != first


def test_a_gguf_source_is_digested_by_its_own_file(tmp_path: Path) -> None:
    gguf = tmp_path / "model.Q4_1.gguf"
    gguf.write_bytes(b"GGUF1234")
    first = model_files_digest(gguf, "v1", 0)
    assert model_files_digest(gguf, "v1", 0) == first  # the same for every data directory converting it
    gguf.write_bytes(b"GGUF12345")
    assert model_files_digest(gguf, "v1", 0) != first


def test_the_speed_figure_is_the_geometric_mean_of_one_row_and_eight() -> None:
    assert speed_figure({1: 50.0, 8: 200.0}) == pytest.approx(100.0)
