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
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

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
