"""Serving while the engines are measured: a model with no recorded engine choice for this CPU serves at
once on its exact default engine, and a background thread measures the engines (in the measurement's
child process), loads the winner and hands it to the model, which switches between batches.

The cache starts the thread when it loads a model that is still measuring (:func:`start_switch`); the
model does the rest (:class:`Switchable`). The thread is a daemon: a server stopping mid-measurement
does not wait for it (the child finishes on its own and keeps its record for the next start).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any, Protocol, runtime_checkable

from hfgate.errors import HfGateError
from hfgate.local.measuring.record import MeasuredChoice

log = logging.getLogger("hfgate.local")


@runtime_checkable
class Switchable(Protocol):
    """A loaded model that may switch engine once its engines are measured."""

    @property
    def measuring(self) -> bool:
        """Whether it serves on its default engine while the measurement has not ended."""
        ...

    def switch_engine(self, *, one_load: AbstractContextManager[Any], loop: asyncio.AbstractEventLoop) -> None:
        """Measure (blocking, in a thread), load the winner under ``one_load`` and hand it over; ``loop``
        is the event loop the model serves on."""
        ...


def start_switch(
    name: str, model: object, *, one_load: AbstractContextManager[Any], loop: asyncio.AbstractEventLoop
) -> threading.Thread | None:
    """Start ``model``'s background measurement and switch if it is still measuring; the thread, or ``None``."""
    if not isinstance(model, Switchable) or not model.measuring:
        return None
    thread = threading.Thread(
        target=_switch, args=(name, model, one_load, loop), name=f"hfgate-engine-switch-{name}", daemon=True
    )
    thread.start()
    return thread


def _switch(
    name: str, model: Switchable, one_load: AbstractContextManager[Any], loop: asyncio.AbstractEventLoop
) -> None:
    try:
        model.switch_engine(one_load=one_load, loop=loop)
    except Exception:  # the model keeps serving on its default engine; its engine_choice says why
        log.exception("engine switch failed", extra={"event": "model.engine.switch_failed", "model": name})


def measured_winner(
    current: MeasuredChoice,
    measure: Callable[[], MeasuredChoice],
    *,
    keep: Callable[[MeasuredChoice], None],
    model: str,
) -> MeasuredChoice | None:
    """Measure (blocking) for a model serving on ``current``'s engine: the choice to switch to, or ``None``
    when that engine won (``keep`` is given the measured choice, to show).

    Raises:
        HfGateError: the measurement failed; ``keep`` was given ``current`` saying so (the model keeps
            its default engine).
    """
    try:
        choice = measure()
    except HfGateError as exc:
        keep(replace(current, reason=f"default (measurement failed: {exc.reason})"))
        raise
    if choice.engine != current.engine:
        return choice
    keep(choice)
    log.info("engine kept", extra={"event": "model.engine.kept", "model": model, "engine": choice.engine})
    return None


def log_switch(model: str, *, before: str | None, after: str) -> None:
    """Log that ``model`` now runs on ``after``."""
    log.info("engine switched", extra={"event": "model.engine.switch", "model": model, "from": before, "to": after})
