"""What every measurement worker (the child process) does alike: its arguments, loading each candidate
so that one failing leaves the others in the running, its fidelity deciding whether it qualifies, the
timing under a :class:`~hfgate.local.measuring.load.LoadMeter`, and writing the pick as its record.

A kind's worker (``hfgate.local.embedding.engine_measure_worker``…) plugs in how a candidate is loaded,
how faithful it is to the exact reference and how a round of it is timed (:func:`measure_candidates`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from hfgate.local.measuring.load import LoadMeter
from hfgate.local.measuring.record import MeasuredChoice, MeasuredEngine, pick, write_choice

T = TypeVar("T")
Output = TypeVar("Output")


def worker_arguments(prog: str, *, rounds: int) -> argparse.ArgumentParser:
    """The arguments every measurement worker takes: ``MODEL_DIR RECORD.json --engines=a,b [--threads=N]
    [--min-cosine=C] [--rounds=R] [--attempt=K] [--cache-dir=DIR] [--device=cuda:0]``; a worker adds its own."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("record", type=Path)
    parser.add_argument("--engines", required=True)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--min-cosine", type=float, default=0.9999)
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--attempt", type=int, default=1, help="which measurement of this model on this CPU")
    parser.add_argument("--cache-dir", type=Path, help="where exports are kept (default: the record's folder)")
    parser.add_argument("--device", default="cpu")
    return parser


class NotMeasuredError(Exception):
    """Raised by a worker's ``load`` for a candidate it need not measure; the message says why."""


def load_each(names: Sequence[str], load: Callable[[str], T]) -> tuple[dict[str, T], dict[str, str], dict[str, str]]:
    """Each candidate ``load`` could load (and check), why each other one could not, and why each one
    ``load`` declined (:class:`NotMeasuredError`) was not measured."""
    loaded: dict[str, T] = {}
    errors: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for name in names:
        try:
            loaded[name] = load(name)
        except NotMeasuredError as exc:
            skipped[name] = str(exc)
        except Exception as exc:  # one engine failing (e.g. an export) leaves the others in the running
            errors[name] = f"{type(exc).__name__}: {exc}"
    return loaded, errors, skipped


def measure_candidates(
    names: Sequence[str],
    load: Callable[[str], tuple[T, Output]],
    *,
    fidelity: Callable[[Mapping[str, Output]], Mapping[str, float | None]],
    time: Callable[[Mapping[str, T], set[str]], Mapping[str, tuple[float, str | None]]],
    exact: Callable[[str], bool],
    min_cosine: float,
    cpu: str,
    unit: str,
    attempt: int,
) -> MeasuredChoice:
    """Load each of ``names`` (``load`` gives the engine and what its fidelity is judged on), judge their
    ``fidelity`` (worst cosine to the reference, by name), ``time`` them (speed and a detail, by name;
    given the qualified ones) under a :class:`LoadMeter`, and pick the fastest that qualifies.

    Raises:
        RuntimeError: no engine ran, or none met ``min_cosine``; the message gives each one's figures.
    """
    loaded, errors, skipped = load_each(names, load)
    engines = {name: engine for name, (engine, _) in loaded.items()}
    cosines = fidelity({name: found for name, (_, found) in loaded.items()})
    qualified = {name for name, cosine in cosines.items() if exact(name) or (cosine or 0.0) >= min_cosine}
    with LoadMeter() as meter:
        speeds = time(engines, qualified)
    unmeasured = [MeasuredEngine(engine=name, exact=exact(name), error=error) for name, error in errors.items()]
    unmeasured += [MeasuredEngine(engine=name, exact=exact(name), skipped=why) for name, why in skipped.items()]
    figures = [
        MeasuredEngine(
            engine=name,
            exact=exact(name),
            speed=round(speeds[name][0], 1),
            worst_cosine=cosines[name],
            detail=speeds[name][1],
        )
        for name in engines
    ]
    return pick(figures + unmeasured, min_cosine=min_cosine, cpu=cpu, unit=unit, load=meter.load, attempt=attempt)


def worker_main(argv: list[str], parser: argparse.ArgumentParser, measure: Callable[[Any], MeasuredChoice]) -> int:
    """Parse ``argv``, ``measure`` and write the choice to the record; 1 with the reason on stderr when
    no engine qualifies."""
    args = parser.parse_args(argv)
    args.cache_dir = args.cache_dir or args.record.parent
    try:
        choice = measure(args)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    write_choice(args.record, choice)
    return 0
