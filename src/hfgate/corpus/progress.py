"""Progress of a corpus job: a rich bar for people, or one JSON object a line for scripts."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


@dataclass(slots=True)
class Totals:
    """What the job has done so far."""

    texts: int = 0
    chunks: int = 0
    tokens: int = 0
    rejects: int = 0
    started: float = field(default_factory=time.monotonic)

    def add(self, *, texts: int, chunks: int, tokens: int, rejects: int) -> None:
        self.texts += texts
        self.chunks += chunks
        self.tokens += tokens
        self.rejects += rejects

    def rates(self) -> dict[str, float]:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        return {"texts_per_s": self.texts / elapsed, "chunks_per_s": self.chunks / elapsed, "elapsed_s": elapsed}


class Reporter(Protocol):
    def start(self, *, total_rows: int, done_rows: int) -> None: ...
    def advance(self, rows: int, totals: Totals) -> None: ...
    def finish(self, totals: Totals) -> None: ...


class JsonReporter:
    """``{"event": "progress", ...}`` lines on standard output, one per finished part."""

    def __init__(self) -> None:
        self._total = 0
        self._done = 0

    def start(self, *, total_rows: int, done_rows: int) -> None:
        self._total, self._done = total_rows, done_rows
        self._emit({"event": "start", "rows": total_rows, "rows_done_before": done_rows})

    def advance(self, rows: int, totals: Totals) -> None:
        self._done += rows
        rates = totals.rates()
        left = self._total - self._done
        eta = left / rates["texts_per_s"] if rates["texts_per_s"] else None
        fields = {"rows_done": self._done, "rows": self._total, "texts": totals.texts, "chunks": totals.chunks}
        self._emit(
            {"event": "progress", **fields, "tokens": totals.tokens, "rejects": totals.rejects, **rates, "eta_s": eta}
        )

    def finish(self, totals: Totals) -> None:
        self._emit(
            {"event": "done", "texts": totals.texts, "chunks": totals.chunks, "tokens": totals.tokens, **totals.rates()}
        )

    @staticmethod
    def _emit(event: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()


class BarReporter:
    """A rich progress bar: rows, chunks, tokens, rate and time left."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("[bold]embedding"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            transient=False,
        )
        self._task = self._progress.add_task("rows", total=0, detail="")

    def start(self, *, total_rows: int, done_rows: int) -> None:
        self._progress.start()
        self._progress.update(self._task, total=total_rows, completed=done_rows)

    def advance(self, rows: int, totals: Totals) -> None:
        rates = totals.rates()
        detail = f"{totals.chunks} chunks · {totals.tokens} tokens · {rates['texts_per_s']:.0f} texts/s"
        self._progress.update(self._task, advance=rows, detail=detail)

    def finish(self, totals: Totals) -> None:
        self._progress.stop()
