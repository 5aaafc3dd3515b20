"""``engine: auto`` for generation on the real SmolLM2: every installed engine timed and compared with
transformers float32 in a child process, the fastest qualifying one kept, and the choice cached.

The ONNX exports and the default measurement are the session's (tests/conftest.py measures SmolLM2
before any test); the other tests measure into choices directories of their own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hfgate.local.catalog import resolve_model
from hfgate.local.cpu import read_cpu
from hfgate.local.generation.engine_choice import CANDIDATES, candidates, choice_file, choose_engine
from hfgate.local.generation.gguf_cache import ensure_converted
from hfgate.local.measuring.record import MeasuredChoice
from hfgate.services import ServiceContext
from tests.local.generation.tiny_models import save_tiny_llama

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`


@pytest.fixture(scope="module")
def converted(shared_context: ServiceContext) -> Path:
    models = shared_context.settings.data_dir / "models"
    return ensure_converted(resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct"), models_dir=models)


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny Llama and the folder its exports are kept in, shared by the tests that measure it: an export
    one test made (the builder's child, seconds) is read by the next, as a server's second endpoint would."""
    folder = tmp_path_factory.mktemp("tiny-llama-engines")
    return save_tiny_llama(folder / "tiny-llama", heads=2), folder / "models"


@pytest.fixture(scope="module")
def session_choice(converted: Path, shared_context: ServiceContext) -> MeasuredChoice:
    """The measurement the session made before any test (tests/conftest.py), read back."""
    settings = shared_context.settings
    location = resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct")
    assert location.gguf_file is not None
    return choose_engine(
        converted,
        task="text-generation",
        cache_dir=converted.parent,
        choices_dir=settings.local_engine_choices_dir,
        source=location.path / location.gguf_file,
        attempts=settings.local_engine_measure_attempts,  # read back as measured, busy or not
    )


def assert_fastest_qualifying(choice: MeasuredChoice) -> None:
    qualified = [figure for figure in choice.figures if figure.meets(choice.min_cosine)]
    assert qualified, choice.summary()
    assert choice.engine == max(qualified, key=lambda figure: figure.speed or 0.0).engine


def test_auto_keeps_the_fastest_exact_or_qualifying_engine_with_every_candidates_figures(
    session_choice: MeasuredChoice,
) -> None:
    choice = session_choice
    assert choice.reason == "cached"
    assert choice.min_cosine == 0.9999
    assert [figure.engine for figure in choice.figures if figure.error] == []
    assert {figure.engine for figure in choice.figures} == set(candidates("text-generation", min_cosine=0.9999))
    assert_fastest_qualifying(choice)
    figures = {figure.engine: figure for figure in choice.figures}
    int8 = figures.get("onnx-int8")
    if int8 is not None and not int8.meets(choice.min_cosine):  # int4 keeps fewer bits: not even exported
        assert figures["onnx-int4"].skipped is not None
        assert figures["onnx-int4"].speed is None
    for figure in (figure for figure in choice.figures if figure.skipped is None):
        assert figure.speed is not None
        assert figure.speed > 0
        assert figure.detail is not None
        assert "1 row" in figure.detail
        assert "8 rows" in figure.detail
        assert figure.worst_cosine is not None
        if figure.exact:  # float32: transformers' logits to rounding
            assert figure.worst_cosine >= 0.9999, figure
    # "…: " or, measured while other processes kept the CPU busy, "… while busy (…): "
    assert choice.summary().startswith(f"{choice.engine}, cached on {read_cpu().describe()}"), choice.summary()


def test_min_cosine_decides_which_engines_qualify_and_a_measured_choice_is_read_back(
    tmp_path: Path, tiny_llama: tuple[Path, Path]
) -> None:
    """One measurement (an exact and an inexact ONNX engine beside the float32 reference) shows both bounds:
    ``min_cosine`` 1.0 offers exact engines only, 0.5 admits int8; the choice is filed once and read back.
    On a tiny Llama: the bounds are the same on any model, and its exports take seconds, not minutes."""
    converted, models = tiny_llama
    assert all(CANDIDATES[name].exact for name in candidates("text-generation", min_cosine=1.0))
    names = ["transformers-fp32", "onnx", "onnx-int8"]
    # one attempt: a choice measured while the machine is busy (as under the test suite) is kept, not
    # measured again (tests/local/measuring/test_load.py covers that)
    choice = choose_engine(
        converted, task="text-generation", cache_dir=models, min_cosine=0.5, names=names,
        choices_dir=tmp_path / "choices", attempts=1,
    )  # fmt: skip
    assert choice.reason == "measured"
    figures = {figure.engine: figure for figure in choice.figures}
    assert set(figures) == set(names)
    int8, onnx = figures["onnx-int8"], figures["onnx"]
    assert not int8.exact
    assert int8.worst_cosine is not None
    assert 0.5 <= int8.worst_cosine < 1
    assert int8.meets(0.5)
    assert not int8.meets(1.0)
    assert onnx.exact
    assert onnx.meets(1.0)
    assert_fastest_qualifying(choice)
    (record,) = (tmp_path / "choices").iterdir()
    assert record == choice_file(
        converted, threads=0, min_cosine=0.5, cpu=read_cpu(), names=names, folder=tmp_path / "choices"
    )
    written = record.stat().st_mtime_ns
    again = choose_engine(
        converted, task="text-generation", cache_dir=models, min_cosine=0.5, names=names,
        choices_dir=tmp_path / "choices", attempts=1,
    )  # fmt: skip
    assert again.reason == "cached"
    assert (again.engine, again.figures) == (choice.engine, choice.figures)
    assert record.stat().st_mtime_ns == written


def test_int4_is_neither_exported_nor_timed_once_int8_falls_below_min_cosine(
    tmp_path: Path, tiny_llama: tuple[Path, Path]
) -> None:
    """int4 keeps every weight int8 keeps in fewer bits, so it cannot qualify where int8 did not: its export
    (the slowest, ~40 s for SmolLM2-135M on 2 cores) is spared, and the record says why. (The tiny Llama's
    int4 export would fail, with an error in the record: ``error`` None shows it was not attempted.)"""
    converted, models = tiny_llama
    names = ["transformers-fp32", "onnx-int8", "onnx-int4"]
    choice = choose_engine(
        converted, task="text-generation", cache_dir=models, min_cosine=0.9999999, names=names,
        choices_dir=tmp_path / "choices", attempts=1,
    )  # fmt: skip
    figures = {figure.engine: figure for figure in choice.figures}
    int8, int4 = figures["onnx-int8"], figures["onnx-int4"]
    assert int8.worst_cosine is not None
    assert int8.worst_cosine < 0.9999999
    assert (int4.speed, int4.worst_cosine, int4.error) == (None, None, None)
    assert int4.skipped == f"onnx-int8 keeps more bits and measured cosine {int8.worst_cosine}, below 0.9999999"
    assert choice.engine == "transformers-fp32"
    assert [path.name for path in (models / "onnx-decoder").iterdir() if path.name.endswith("-int4")] == []
    assert "onnx-int4 not measured (onnx-int8 keeps more bits" in choice.summary()


def test_encoder_decoder_models_are_offered_the_transformers_engines_only() -> None:
    assert candidates("text2text-generation", min_cosine=0.9999) == ["transformers-fp32", "transformers-bf16"]
    assert candidates("text2text-generation", min_cosine=1.0) == ["transformers-fp32"]
