"""Continuous batching: requests join a running decode batch between steps and leave when done.

One asyncio task per model drives the batch while it has work. Every prefill and every decode step is
one job on the shared compute thread, so an embedding request waits for at most one step, however long
the generations in flight; and the event loop stays free while a step computes.

Every sequence submitted gets exactly one end: its last delta, or an error. A step that raises does not
stop the scheduler: its sequences are run again one at a time (``local/step_failure.py`` says how the
blame is decided), those that succeed carry on in the batch, and each of the others is answered a typed
error. A pick or a stop check that raises for one sequence ends that sequence alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence as Seq
from typing import Any

from hfgate.errors import OverloadedError
from hfgate.local.cache import Compute
from hfgate.local.generation.batch import DecodeBatch
from hfgate.local.generation.sequence import Sequence
from hfgate.local.step_failure import Blame, step_error

log = logging.getLogger("hfgate.local")

Pick = int | Exception
"""A sequence's next token, or what its sampler raised."""
_PROBE = [0]
"""A one-token prompt: prefilled alone, it tells a broken engine from a prompt the engine cannot read."""


class Scheduler:
    """Feeds one :class:`DecodeBatch` from a queue of sequences.

    Args:
        batch: the model's decode batch.
        compute: the thread where steps run.
        max_batch_size: rows decoded together; later requests wait for a free row.
        name: the model, in errors, logs and metrics.

    Example:
        >>> # scheduler = Scheduler(CausalBatch(model), compute=compute, max_batch_size=16)
        >>> # scheduler.submit(sequence); delta = await sequence.queue.get()
    """

    def __init__(self, batch: DecodeBatch, *, compute: Compute, max_batch_size: int, name: str = "") -> None:
        self._batch = batch
        self._compute = compute
        self._max = max_batch_size
        self._name = name or type(batch).__name__
        self._waiting: deque[Sequence] = deque()
        self._rows: list[Sequence] = []
        self._joining: list[Sequence] = []
        self._task: asyncio.Task[None] | None = None

    @property
    def active(self) -> int:
        """Sequences decoding or waiting for a row."""
        return len(self._waiting) + sum(not s.done for s in [*self._rows, *self._joining])

    def submit(self, sequence: Sequence) -> None:
        """Queue ``sequence``; its deltas arrive on ``sequence.queue``."""
        self._waiting.append(sequence)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="hfgate-generation")

    async def aclose(self) -> None:
        """Stop decoding; sequences in flight end with an error."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        try:
            while True:
                if self._has_work():
                    await self._advance()
                    continue
                await self._compute.run(self._release)
                if not self._has_work():  # checked again: a request may have come during the release
                    return
        except BaseException as exc:  # stopped, or a fault of the scheduler itself: nobody is left waiting
            self._fail_all(exc)
            if not isinstance(exc, Exception):
                raise
            log.exception("generation failed", extra={"event": "generation.error", "model": self._name})

    def _has_work(self) -> bool:
        return bool(self._waiting) or any(not s.done for s in self._rows)

    def _release(self) -> None:
        """Free the batch's cache once every row has finished."""
        if self._rows:
            self._batch.retain([])
            self._rows = []

    def _fail_all(self, exc: BaseException) -> None:
        stopped = OverloadedError(f"The local model [{self._name}] stopped generating; retry")
        for sequence in dict.fromkeys([*self._rows, *self._joining, *self._waiting]):
            if not isinstance(exc, Exception):
                sequence.fail(stopped)
            elif not sequence.done:
                sequence.fail(step_error(exc, blame="engine", model=self._name, engine=self._batch.engine))
        self._waiting.clear()
        self._rows, self._joining = [], []
        try:
            self._batch.retain([])
        except Exception:
            log.exception("batch reset failed", extra={"event": "generation.error", "model": self._name})

    async def _advance(self) -> None:
        keep = [i for i, s in enumerate(self._rows) if not s.done]
        rows = [self._rows[i] for i in keep]
        self._joining = self._take_waiting(self._max - len(rows))
        try:
            if self._joining:  # every request waiting for a row joins in one prefill pass
                await self._join(keep, rows, self._joining)
            elif rows:
                await self._decode(keep, rows)
        finally:
            self._joining = []

    def _take_waiting(self, room: int) -> list[Sequence]:
        taken: list[Sequence] = []
        while self._waiting and len(taken) < room:
            sequence = self._waiting.popleft()
            if not sequence.done:
                taken.append(sequence)
        return taken

    async def _join(self, keep: list[int], rows: list[Sequence], newcomers: list[Sequence]) -> None:
        try:
            picks = await self._compute.run(self._admit, keep, rows, newcomers)
        except Exception as exc:
            if len(newcomers) == 1:  # alone already: only the probe can tell who is at fault
                self._fail(newcomers[0], exc, blame=await self._blame(succeeded=False))
            else:
                await self._isolate(newcomers, exc, resume=False)
            return
        self._rows = [*rows, *newcomers]
        self._deliver(newcomers, picks)

    async def _decode(self, keep: list[int], rows: list[Sequence]) -> None:
        try:
            picks = await self._compute.run(self._step, keep, rows)
        except Exception as exc:
            # A failed step may have left any row's cache half-written: start the batch again, each row
            # prefilled alone from its prompt and the tokens it generated.
            self._joining = rows
            await self._compute.run(self._batch.retain, [])
            self._rows = []
            if self._batch.resumable:
                await self._isolate(rows, exc, resume=True)
            else:  # its rows cannot be put back: none can be told apart from the others
                for sequence in rows:
                    self._fail(sequence, exc, blame="engine")
            return
        self._deliver(rows, picks)

    async def _isolate(self, sequences: list[Sequence], exc: Exception, *, resume: bool) -> None:
        """Run ``sequences`` again one at a time after ``exc``; answer those that fail alone."""
        failed: list[tuple[Sequence, Exception]] = []
        tried = 0
        for sequence in sequences:
            if sequence.done:
                continue
            tried += 1
            try:
                pick = await self._compute.run(self._admit_alone, sequence, resume=resume)
            except Exception as alone:
                failed.append((sequence, alone))
                continue
            self._rows.append(sequence)
            self._deliver([sequence], [pick])
        if failed:
            blame = await self._blame(succeeded=tried > len(failed))
            for sequence, error in failed:
                self._fail(sequence, error, blame=blame)
        log.warning(
            "batch step failed; its sequences ran again one at a time",
            extra={"event": "generation.step_failed", "model": self._name, "error": repr(exc), "failed": len(failed)},
        )

    async def _blame(self, *, succeeded: bool) -> Blame:
        if succeeded:
            return "input"
        return "input" if await self._compute.run(self._probe) else "engine"

    def _deliver(self, sequences: Seq[Sequence], picks: Seq[Pick]) -> None:
        for sequence, pick in zip(sequences, picks, strict=True):
            if isinstance(pick, Exception):
                self._fail(sequence, pick, blame="input")
                continue
            try:
                sequence.accept(pick)
            except Exception as exc:
                self._fail(sequence, exc, blame="input")

    def _fail(self, sequence: Sequence, exc: Exception, *, blame: Blame) -> None:
        if not sequence.done:
            sequence.fail(step_error(exc, blame=blame, model=self._name, engine=self._batch.engine))

    # On the compute thread.

    def _admit(self, keep: list[int], rows: list[Sequence], newcomers: list[Sequence]) -> list[Pick]:
        self._retain(keep, rows)
        logits = self._prefill([s.prompt_ids for s in newcomers])
        return [_pick(s, logits[i]) for i, s in enumerate(newcomers)]

    def _admit_alone(self, sequence: Sequence, *, resume: bool) -> Pick:
        """Prefill ``sequence`` as the batch's last row and pick its next token; with ``resume`` (after a
        failed step) its prompt and every token it generated: the work of the step it missed."""
        prompt = sequence.prompt_ids + sequence.generated if resume else sequence.prompt_ids
        return _pick(sequence, self._prefill([prompt])[0])

    def _prefill(self, prompts: list[list[int]]) -> Any:
        """``prompts`` joined as the last rows, or (it raised) the batch left as it was."""
        rows = len(self._rows)
        try:
            return self._batch.prefill(prompts)
        except Exception:
            self._batch.retain(list(range(rows)))  # an engine may have added rows before it failed
            raise

    def _probe(self) -> bool:
        """Whether the engine still prefills a one-token prompt (the probe's row leaves again)."""
        try:
            self._prefill([_PROBE])
        except Exception:
            return False
        self._batch.retain(list(range(len(self._rows))))
        return True

    def _step(self, keep: list[int], rows: list[Sequence]) -> list[Pick]:
        self._retain(keep, rows)
        logits = self._batch.step([s.last_token for s in rows])
        return [_pick(s, logits[i]) for i, s in enumerate(rows)]

    def _retain(self, keep: list[int], rows: list[Sequence]) -> None:
        if len(keep) != len(self._rows):
            self._batch.retain(keep)
        self._rows = rows


def _pick(sequence: Sequence, scores: Any) -> Pick:
    try:
        return sequence.pick(scores, sequence.history)
    except Exception as exc:  # this sequence's sampler (its bias, its grammar): the others go on
        return exc
