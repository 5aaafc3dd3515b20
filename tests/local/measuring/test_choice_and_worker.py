"""The measurement core every task shares: a kept choice served as it is (or refused when it names an
engine the task does not have), each candidate loaded apart, and the worker's record or its failure."""

from __future__ import annotations

from argparse import Namespace
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from hfgate.local.measuring.choice import Measurement, recorded_choice
from hfgate.local.measuring.record import MeasuredChoice, read_choice, write_choice
from hfgate.local.measuring.worker import (
    NotMeasuredError,
    load_each,
    measure_candidates,
    worker_arguments,
    worker_main,
)

SPEEDS = {"slow": 1.0, "fast": 3.0}


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


def _choice(args: Namespace, speeds: dict[str, float], cosines: dict[str, float] | None = None) -> MeasuredChoice:
    """Measure fake candidates: each of ``args.engines`` not in ``speeds`` fails to load."""
    timed: list[set[str]] = []

    def load(name: str) -> tuple[str, float]:
        if name not in speeds:
            raise OSError("no export")
        return name.upper(), (cosines or {}).get(name, 1.0)

    def time(engines: Mapping[str, str], qualified: set[str]) -> dict[str, tuple[float, str | None]]:
        timed.append(qualified)
        return {name: (speeds[name], f"{engine} detail") for name, engine in engines.items()}

    choice = measure_candidates(
        args.engines.split(","),
        load,
        fidelity=dict,
        time=time,
        exact=lambda name: name != "inexact",
        min_cosine=0.9999,
        cpu="a CPU",
        unit="things/s",
        attempt=args.attempt,
    )
    assert timed == [{name for name in speeds if name != "inexact" or (cosines or {}).get(name, 1.0) >= 0.9999}]
    return choice


def test_a_kept_choice_is_served_as_cached_unless_it_names_an_engine_the_task_lacks(tmp_path: Path) -> None:
    record = tmp_path / "choice.json"
    write_choice(record, MeasuredChoice(engine="fast", reason="measured", cpu="a CPU", min_cosine=0.9, unit="u"))
    served = recorded_choice(_measurement(record, engines={"fast", "slow"}))
    assert served is not None
    assert (served.engine, served.reason) == ("fast", "cached")
    assert recorded_choice(_measurement(record, engines={"slow"})) is None
    assert recorded_choice(_measurement(tmp_path / "none.json", engines={"fast"})) is None


def test_a_candidate_that_fails_to_load_is_kept_with_its_error_and_the_others_still_load() -> None:
    loaded, errors, skipped = load_each(["a", "b", "c"], lambda name: name.upper() if name != "b" else 1 // 0)
    assert loaded == {"a": "A", "c": "C"}
    assert errors == {"b": "ZeroDivisionError: integer division or modulo by zero"}
    assert skipped == {}


def test_a_candidate_its_worker_declines_is_filed_as_not_measured_never_as_failed_or_chosen(tmp_path: Path) -> None:
    def load(name: str) -> tuple[str, float]:
        if name == "coarse":
            raise NotMeasuredError("fine keeps more bits and measured cosine 0.5, below 0.9")
        return name, 0.5

    choice = measure_candidates(
        ["exact", "fine", "coarse"],
        load,
        fidelity=dict,
        time=lambda engines, qualified: {name: (10.0, None) for name in engines},
        exact=lambda name: name == "exact",
        min_cosine=0.9,
        cpu="a CPU",
        unit="u",
        attempt=1,
    )
    assert choice.engine == "exact"
    coarse = {figure.engine: figure for figure in choice.figures}["coarse"]
    assert (coarse.speed, coarse.error) == (None, None)
    assert coarse.skipped == "fine keeps more bits and measured cosine 0.5, below 0.9"
    assert not coarse.meets(0.0)
    assert "coarse not measured (fine keeps more bits" in choice.summary()
    record = tmp_path / "choice.json"
    write_choice(record, choice)
    assert read_choice(record) == replace(choice, reason="cached")


def test_the_worker_writes_the_fastest_with_every_figure_and_the_attempt(tmp_path: Path) -> None:
    record = tmp_path / "choice.json"
    argv = [str(tmp_path), str(record), "--engines=slow,fast,broken", "--attempt=2"]
    assert worker_main(argv, worker_arguments("test", rounds=1), lambda args: _choice(args, SPEEDS)) == 0
    choice = read_choice(record)
    assert choice is not None
    assert (choice.engine, choice.attempt) == ("fast", 2)
    assert [figure.engine for figure in choice.figures] == ["fast", "slow", "broken"]
    assert choice.figures[-1].error == "OSError: no export"
    assert (choice.figures[0].detail, choice.figures[0].speed) == ("FAST detail", 3.0)
    assert choice.load is not None, "the timing ran under a load meter"


def test_an_inexact_candidate_below_the_floor_is_measured_but_not_chosen(tmp_path: Path) -> None:
    args = Namespace(engines="inexact,slow", attempt=1)
    choice = _choice(args, {"inexact": 9.0, "slow": 1.0}, cosines={"inexact": 0.99})
    assert choice.engine == "slow"
    assert [(figure.engine, figure.worst_cosine) for figure in choice.figures] == [("inexact", 0.99), ("slow", 1.0)]


def test_a_worker_whose_candidates_all_fail_exits_1_naming_them_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "choice.json"
    argv = [str(tmp_path), str(record), "--engines=broken"]
    assert worker_main(argv, worker_arguments("test", rounds=1), lambda args: _choice(args, {})) == 1
    assert "No engine of [broken]" in capsys.readouterr().err
    assert not record.exists()
