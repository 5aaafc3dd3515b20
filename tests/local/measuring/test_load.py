"""The load an engine measurement ran under is recorded, and a choice made on a busy machine is measured again."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from hfgate.local.measuring.load import BUSY_SHARE, LoadMeter, MeasureLoad
from hfgate.local.measuring.record import (
    MAX_ATTEMPTS,
    MeasuredChoice,
    MeasuredEngine,
    next_attempt,
    pick,
    reusable_choice,
    write_choice,
)

QUIET = MeasureLoad(wall_seconds=2.0, cpu_seconds=3.9, others_cpu_seconds=0.2, cpus=2)
BUSY = MeasureLoad(wall_seconds=2.0, cpu_seconds=1.5, others_cpu_seconds=2.6, cpus=2)


def _spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def _burn(cpu_seconds: float) -> None:
    """Spin until this process has used ``cpu_seconds`` of CPU, however busy the machine."""
    end = time.process_time() + cpu_seconds
    while time.process_time() < end:
        pass


def test_own_cpu_time_is_counted_as_the_measurements_own() -> None:
    with LoadMeter() as meter:
        _burn(0.3)
    assert meter.load is not None
    assert meter.load.cpu_seconds >= 0.3, "the spin loop ran here"
    # every thread of this process counts (pytest's and earlier tests' too): up to every core's worth
    assert meter.load.cpu_seconds <= meter.load.wall_seconds * meter.load.cpus


@pytest.mark.slow  # seconds of real waiting: in `make test`, not `make check`
def test_other_processes_keeping_every_core_busy_make_it_busy() -> None:
    context = multiprocessing.get_context("spawn")
    spinners = [context.Process(target=_spin, args=(4.0,)) for _ in range(multiprocessing.cpu_count())]
    for spinner in spinners:
        spinner.start()
    try:
        time.sleep(1.0)  # the spawned interpreters start and begin to spin
        with LoadMeter() as meter:
            time.sleep(1.5)
    finally:
        for spinner in spinners:
            spinner.join()
    assert meter.load is not None
    assert meter.load.others_share is not None
    assert meter.load.others_share > BUSY_SHARE, meter.load.describe()
    assert meter.load.busy
    assert meter.load.cpu_seconds < 0.2, "sleeping here is not counted as this process's time"


def _choice(load: MeasureLoad | None, attempt: int = 1) -> MeasuredChoice:
    figures = [MeasuredEngine(engine="onnx", exact=True, speed=100.0, worst_cosine=1.0)]
    return pick(figures, min_cosine=0.9999, cpu="test CPU", unit="texts/s", load=load, attempt=attempt)


def test_a_choice_measured_while_busy_is_measured_again_up_to_the_last_attempt(tmp_path: Path) -> None:
    record = tmp_path / "choice.json"
    write_choice(record, _choice(BUSY))
    assert reusable_choice(record) is None, "measured while busy: measured again"
    assert next_attempt(record) == 2
    write_choice(record, _choice(BUSY, attempt=MAX_ATTEMPTS))
    kept = reusable_choice(record)
    assert kept is not None
    assert kept.attempt == MAX_ATTEMPTS, "busy every time: the last one is kept"
    assert next_attempt(record) == 1
    assert "while busy (1.5 s of CPU in 2.0 s; others 65% of 2 CPUs)" in kept.summary()


def test_one_attempt_keeps_the_first_measurement_even_when_busy(tmp_path: Path) -> None:
    record = tmp_path / "choice.json"
    write_choice(record, _choice(BUSY))
    kept = reusable_choice(record, attempts=1)
    assert kept is not None, "Settings.local_engine_measure_attempts=1 never measures again"
    assert next_attempt(record, attempts=1) == 1
    assert reusable_choice(record, attempts=2) is None


def test_a_choice_measured_on_a_quiet_machine_is_reused_and_says_nothing_of_load(tmp_path: Path) -> None:
    record = tmp_path / "choice.json"
    write_choice(record, _choice(QUIET))
    kept = reusable_choice(record)
    assert kept is not None
    assert kept.load == QUIET
    assert kept.reason == "cached"
    assert "busy" not in kept.summary()


def test_a_record_written_before_loads_were_kept_is_reused(tmp_path: Path) -> None:
    record = tmp_path / "choice.json"
    write_choice(record, _choice(None))
    kept = reusable_choice(record)
    assert kept is not None
    assert (kept.load, kept.attempt) == (None, 1)
