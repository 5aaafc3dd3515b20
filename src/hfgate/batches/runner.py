"""The batch runner inside each replica: claims lines, sends each through the app, records, finalizes.

It starts and stops with the app (its lifespan). Each round it first finalizes the batches that are ready
(:meth:`~hfgate.batches.claims.LineClaims.to_finish`: the output and error files written, then ``completed``
or ``cancelled``), then claims up to ``HFGATE_BATCH_CLAIM_LINES`` lines and sends them together, each as a
request of its own through the app (:class:`~hfgate.batches.calls.AppCalls`), recording each line's result as
it comes. A batch whose 24-hour window passes starts no more lines and ends ``expired``: the lines it answered
in its output and error files, each line it never sent in its error file as ``batch_expired``. A line the app
refuses for now is sent again after the ``Retry-After`` it was given: a per-minute limit's 429 up to 120 times
(a batch runs at its key's pace), a model still loading (503) a few times; a budget's 429 (a wait of more
than a minute) is the line's result and stops the batch: the lines not yet sent are closed unsent
(``batch_stopped``), so no more is spent, and the batch ends ``failed`` with the refusal in its ``errors``.
While it works, the runner renews its lease on the lines it is working on (a line whose result could not be
recorded, the registry away, is left to its lease and taken up again); once the replica drains (SIGTERM) it
claims no more, and when it stops it gives back the lines it holds unanswered. Every
``HFGATE_BATCH_FILES_SWEEP_SECONDS`` it also removes the files that have expired (their ``expires_after`` on
upload, a batch's ``output_expires_after``): rows and bytes (:meth:`~hfgate.batches.files.FileStore.sweep`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from hfgate.batches import shapes
from hfgate.batches.calls import Answer
from hfgate.batches.claims import ClaimedLine, LineClaims
from hfgate.batches.files import FileStore
from hfgate.batches.store import StoredBatch
from hfgate.config import Settings
from hfgate.errors import HfGateError

log = logging.getLogger("hfgate.batches")

_TRIES = 5
_PACED_TRIES = 120
_MOST_WAIT_SECONDS = 60.0
_EXPIRED = "This request could not be executed before the completion window expired."


class LineCall(Protocol):
    async def __call__(self, *, path: str, body: bytes, key_id: str) -> Answer: ...


class BatchRunner:
    """Runs every replica's share of the batches, until :meth:`aclose`."""

    def __init__(
        self, *, claims: LineClaims, files: FileStore, calls: LineCall, settings: Settings,
        draining: Callable[[], bool] = lambda: False,
    ) -> None:  # fmt: skip
        self._draining = draining
        self._claims = claims
        self._files = files
        self._calls = calls
        self._chunk = settings.batch_claim_lines
        self._poll = settings.batch_poll_seconds
        self._renew_every = settings.batch_lease_seconds / 3
        self._sweep_every = settings.batch_files_sweep_seconds
        self._task: asyncio.Task[None] | None = None
        self._working: dict[tuple[str, int], ClaimedLine] = {}

    @staticmethod
    def owner() -> str:
        """A new runner's id: what its claims are recorded under."""
        return f"runner-{secrets.token_hex(8)}"

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="hfgate-batch-runner")

    async def aclose(self) -> None:
        """Stop, and give back the lines not yet answered (another runner takes them at once)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(HfGateError):
            await asyncio.to_thread(self._claims.release)

    async def step(self) -> bool:
        """One round: finalize what is ready, then run one chunk of lines; whether there was anything to do."""
        finished = await asyncio.to_thread(self._claims.to_finish)
        for batch in finished:
            await asyncio.to_thread(self._finish, batch)
        if self._draining():  # stopping: start no line the drain would have to wait for
            return bool(finished)
        lines = await asyncio.to_thread(self._claims.claim, self._chunk)
        await asyncio.gather(*(self._working_on(line) for line in lines))
        return bool(finished or lines)

    async def _run(self) -> None:
        renewing = asyncio.create_task(self._renew())
        sweeping = asyncio.create_task(self._sweep())
        try:
            while True:
                try:
                    busy = await self.step()
                except Exception as exc:  # the registry away, or one round's fault: the lines stay claimed
                    log.warning("batch round failed", exc_info=not isinstance(exc, HfGateError),
                                extra={"event": "batch.round.error", "error": str(exc)})  # fmt: skip
                    busy = False
                if not busy:
                    await asyncio.sleep(self._poll)
        finally:
            renewing.cancel()
            sweeping.cancel()

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self._renew_every)
            if working := list(self._working.values()):
                with contextlib.suppress(HfGateError):
                    await asyncio.to_thread(self._claims.renew, working)

    async def _sweep(self) -> None:
        while True:
            try:
                gone = await asyncio.to_thread(self._files.sweep)
            except Exception as exc:  # the registry or the store away: the next sweep tries again
                log.warning("file sweep failed", exc_info=not isinstance(exc, HfGateError),
                            extra={"event": "batch.sweep.error", "error": str(exc)})  # fmt: skip
            else:
                if gone:
                    log.info("expired files removed", extra={"event": "batch.sweep", "files": len(gone)})
            await asyncio.sleep(self._sweep_every)

    async def _working_on(self, line: ClaimedLine) -> None:
        """Run ``line``, its lease renewed until its result is recorded or its round fails."""
        self._working[line.batch_id, line.line] = line
        try:
            await self._run_line(line)
        finally:
            del self._working[line.batch_id, line.line]

    async def _run_line(self, line: ClaimedLine) -> None:
        if field := next((name for name in ("stream", "background") if orjson.loads(line.body).get(name)), None):
            unsent = f"[{field}] is not supported in a batch: each answer comes whole, as the line's result"
            result = shapes.unsent_line(custom_id=line.custom_id, code="invalid_request", message=unsent)
            await asyncio.to_thread(self._claims.record, line, ok=False, result=orjson.dumps(result).decode())
            return
        answer = await self._send(line)
        body = _body(answer.body)
        output = shapes.output_line(custom_id=line.custom_id, request_id=answer.request_id,
                                    status_code=answer.status, body=body)  # fmt: skip
        ok = 200 <= answer.status < 300
        await asyncio.to_thread(self._claims.record, line, ok=ok, result=orjson.dumps(output).decode(),
                                tokens=shapes.tokens_of(body))  # fmt: skip
        if answer.status == 429 and (answer.retry_after or 0.0) > _MOST_WAIT_SECONDS:  # a budget spent
            await asyncio.to_thread(self._stop, line, _message(body))

    def _stop(self, line: ClaimedLine, refusal: str) -> None:
        reason = (f"line {line.line} was refused until its limit resets, so the batch stopped and the lines not yet "
                  f"sent were not sent: {refusal}")  # fmt: skip
        error = shapes.line_error(line.line, "batch_stopped", reason)
        if self._claims.stop(line.batch_id, error, _unsent("batch_stopped", reason)):
            log.warning("batch stopped", extra={"event": "batch.stopped", "batch_id": line.batch_id,
                                                "line": line.line, "error": refusal})  # fmt: skip

    async def _send(self, line: ClaimedLine) -> Answer:
        tries = 0
        while True:
            answer = await self._calls(path=line.endpoint, body=line.body.encode(), key_id=line.key_id)
            tries += 1
            wait = min(2.0**tries, _MOST_WAIT_SECONDS) if answer.retry_after is None else answer.retry_after
            if not _again(answer.status, tries=tries, wait=wait):
                return answer
            await asyncio.sleep(wait)

    def _finish(self, batch: StoredBatch) -> None:
        status = "cancelled" if batch.status == "cancelling" else "completed"
        if status == "completed" and batch.expires_at <= time.time():
            expired = self._claims.close_rest(batch.batch_id, _unsent("batch_expired", _EXPIRED))
            status = "expired" if expired else status
        if status == "completed" and batch.errors:  # stopped: a line refused until its budget resets
            self._claims.close_rest(batch.batch_id, _unsent("batch_stopped", str(batch.errors[0]["message"])))
            status = "failed"
        results = self._claims.results(batch.batch_id)
        output = self._file(batch, "output", [text for ok, text in results if ok])
        errors = self._file(batch, "error", [text for ok, text in results if not ok])
        if self._claims.finish(batch, status=status, output_file_id=output, error_file_id=errors):
            log.info("batch finished", extra={"event": "batch.done", "batch_id": batch.batch_id, "status": status,
                                              "lines": len(results)})  # fmt: skip

    def _file(self, batch: StoredBatch, kind: str, lines: list[str]) -> str | None:
        if not lines:
            return None
        stored = self._files.add_lines(key_id=batch.key_id, purpose="batch_output",
                                       filename=f"{batch.batch_id}_{kind}.jsonl", lines=lines,
                                       expires_after=batch.output_expires_after)  # fmt: skip
        return stored.file_id


def _again(status: int, *, tries: int, wait: float) -> bool:
    """Whether to send a refused line again: a per-minute limit (429 with a wait of a minute at most) is waited
    out up to :data:`_PACED_TRIES` times (two hours at most), so a batch runs at its key's pace; a model still
    loading (503) is asked :data:`_TRIES` times; any other answer, a budget's 429 (its wait until the next day
    or month) included, is the line's result."""
    if status == 429:
        return wait <= _MOST_WAIT_SECONDS and tries < _PACED_TRIES
    return status == 503 and tries < _TRIES


def _unsent(code: str, message: str) -> Callable[[str], str]:
    """The error line of a request never sent, by its ``custom_id``."""
    return lambda custom_id: orjson.dumps(shapes.unsent_line(custom_id=custom_id, code=code, message=message)).decode()


def _message(body: Any) -> str:
    """The error message of an answer in any face's shape (OpenAI's, Anthropic's and Gemini's ``error.message``)."""
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("message", error)) if isinstance(error, dict) else str(error or body)


def _body(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", "replace")
