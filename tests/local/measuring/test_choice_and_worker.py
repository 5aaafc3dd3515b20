"""The measurement core every task shares: a kept choice served as it is (or refused when it names an
engine the task does not have), each candidate loaded apart, and the worker's record or its failure."""

from __future__ import annotations

from argparse import Namespace
from pathlib import Path

import pytest

from hfgate.local.measuring.choice import Measurement, recorded_choice
from hfgate.local.measuring.load import MeasureLoad
from hfgate.local.measuring.record import MeasuredChoice, MeasuredEngine, read_choice, write_choice
from hfgate.local.measuring.worker import choice_of, load_each, worker_arguments, worker_main

QUIET = MeasureLoad(wall_seconds=2.0, cpu_seconds=3.9, others_cpu_seconds=0.2, cpus=2)
FIGURES = [MeasuredEngine(engine="slow", exact=True, speed=1.0), MeasuredEngine(engine="fast", exact=True, speed=3.0)]


def _measurement(record: Path, *, engines: set[str]) -> Measurement:
    return Measurement(
        what="test",
        model=record.parent,
        record=record,
        worker="no.worker",
        args=(),
        engines=engines,
        cpu="cpu-key",
        timeout=1,
    )


def _choice(args: Namespace, figures: list[MeasuredEngine]) -> MeasuredChoice:
    return choice_of(
        figures,
        {"broken": "OSError: no export"},
        exact=lambda name: True,
        min_cosine=0.9999,
        cpu="a CPU",
        unit="things/s",
        load=QUIET,
        attempt=args.attempt,
    )


def test_a_kept_choice_is_served_as_cached_unless_it_names_an_engine_the_task_lacks(tmp_path: Path) -> None:
    record = tmp_path / "choice.json"
    write_choice(record, MeasuredChoice(engine="fast", reason="measured", cpu="a CPU", min_cosine=0.9, unit="u"))
    served = recorded_choice(_measurement(record, engines={"fast", "slow"}))
    assert served is not None
    assert (served.engine, served.reason) == ("fast", "cached")
    assert recorded_choice(_measurement(record, engines={"slow"})) is None
    assert recorded_choice(_measurement(tmp_path / "none.json", engines={"fast"})) is None


def test_a_candidate_that_fails_to_load_is_kept_with_its_error_and_the_others_still_load() -> None:
    loaded, errors = load_each(["a", "b", "c"], lambda name: name.upper() if name != "b" else 1 // 0)
    assert loaded == {"a": "A", "c": "C"}
    assert errors == {"b": "ZeroDivisionError: integer division or modulo by zero"}


def test_the_worker_writes_the_fastest_with_every_figure_and_the_attempt(tmp_path: Path) -> None:
    record = tmp_path / "choice.json"
    argv = [str(tmp_path), str(record), "--engines=slow,fast,broken", "--attempt=2"]
    assert worker_main(argv, worker_arguments("test", rounds=1), lambda args: _choice(args, FIGURES)) == 0
    choice = read_choice(record)
    assert choice is not None
    assert (choice.engine, choice.attempt) == ("fast", 2)
    assert [figure.engine for figure in choice.figures] == ["fast", "slow", "broken"]
    assert choice.figures[-1].error == "OSError: no export"


def test_a_worker_whose_candidates_all_fail_exits_1_naming_them_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "choice.json"
    argv = [str(tmp_path), str(record), "--engines=broken"]
    assert worker_main(argv, worker_arguments("test", rounds=1), lambda args: _choice(args, [])) == 1
    assert "No engine of [broken]" in capsys.readouterr().err
    assert not record.exists()
