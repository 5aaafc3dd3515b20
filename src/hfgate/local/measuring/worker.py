"""What every measurement worker (the child process) does alike: its arguments, loading each candidate
so that one failing leaves the others in the running, and writing the pick as its record.

A task's worker (``hfgate.local.embedding.engine_measure_worker``…) adds how a candidate is loaded,
how faithful it is and how it is timed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from hfgate.local.measuring.load import MeasureLoad
from hfgate.local.measuring.record import MeasuredChoice, MeasuredEngine, pick, write_choice

T = TypeVar("T")


def worker_arguments(prog: str, *, rounds: int) -> argparse.ArgumentParser:
    """The arguments every measurement worker takes: ``MODEL_DIR RECORD.json --engines=a,b [--threads=N]
    [--min-cosine=C] [--rounds=R] [--attempt=K]``; a worker adds its own."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("record", type=Path)
    parser.add_argument("--engines", required=True)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--min-cosine", type=float, default=0.9999)
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--attempt", type=int, default=1, help="which measurement of this model on this CPU")
    return parser


def load_each(names: Sequence[str], load: Callable[[str], T]) -> tuple[dict[str, T], dict[str, str]]:
    """Each candidate ``load`` could load (and check), and why each other one could not."""
    loaded: dict[str, T] = {}
    errors: dict[str, str] = {}
    for name in names:
        try:
            loaded[name] = load(name)
        except Exception as exc:  # one engine failing (e.g. an export) leaves the others in the running
            errors[name] = f"{type(exc).__name__}: {exc}"
    return loaded, errors


def choice_of(
    figures: list[MeasuredEngine],
    errors: Mapping[str, str],
    *,
    exact: Callable[[str], bool],
    min_cosine: float,
    cpu: str,
    unit: str,
    load: MeasureLoad | None,
    attempt: int,
) -> MeasuredChoice:
    """The measured choice from the candidates that ran (``figures``) and those that failed (``errors``).

    Raises:
        RuntimeError: none qualifies; the message gives each one's figures.
    """
    failed = [MeasuredEngine(engine=name, exact=exact(name), error=error) for name, error in errors.items()]
    return pick(figures + failed, min_cosine=min_cosine, cpu=cpu, unit=unit, load=load, attempt=attempt)


def worker_main(argv: list[str], parser: argparse.ArgumentParser, measure: Callable[[Any], MeasuredChoice]) -> int:
    """Parse ``argv``, ``measure`` and write the choice to the record; 1 with the reason on stderr when
    no engine qualifies."""
    args = parser.parse_args(argv)
    try:
        choice = measure(args)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    write_choice(args.record, choice)
    return 0
