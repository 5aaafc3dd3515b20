"""Batch lines claimed in chunks through the registry, each line's result written once.

A runner (one per replica, ``owner`` a random id of its own) claims up to ``n`` lines that have no result and
no live claim, setting its id and a lease (``lease_until``, Unix milliseconds) on each; it renews the lease
while it works and records each line's result with ``result IS NULL`` in the update's condition, so a result
is written once however many replicas sent the line. A replica that dies leaves its claims to lapse: after
the lease any replica takes those lines up again, so the lines a kill can send twice are at most the lines
claimed and not yet recorded at the kill (``HFGATE_BATCH_CLAIM_LINES`` per replica). The lease is renewed only
on the lines a runner is still working on: a line whose result could not be recorded (the registry away)
lapses too, and is taken up again once the registry is back. A runner that stops
cleanly gives its claims back at once (:meth:`LineClaims.release`).

On PostgreSQL the claim's ``SELECT … FOR UPDATE SKIP LOCKED`` lets replicas claim side by side; on SQLite the
write transaction (``BEGIN IMMEDIATE``) takes them in turn.

A batch is finalized by one runner too: it claims the batch (``claimed_by``/``lease_until`` on its row) once
every line has a result (``in_progress`` → ``finalizing``), once its completion window has passed and no line
is held under a live claim (no line of it is claimed after the window), or, when ``cancelling``, once no line
is held under a live claim; a finalization whose runner died is taken up again after the lease. A batch one
of whose lines is refused for longer than a batch waits (a budget spent until its reset) is stopped: every line
not yet sent is closed unsent, the lines in flight record their answers, and the batch ends ``failed`` with the
refusal in its ``errors`` (:meth:`LineClaims.stop`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

import orjson
from sqlalchemy import Engine, and_, bindparam, exists, or_, select, update

from hfgate.batches.store import StoredBatch, stored_batch
from hfgate.registry.database import writing
from hfgate.registry.failures import translated
from hfgate.registry.schema import batch_lines, batches


@dataclass(frozen=True, slots=True)
class ClaimedLine:
    batch_id: str
    line: int
    custom_id: str
    body: str
    key_id: str
    endpoint: str


def now_ms() -> int:
    return int(time.time() * 1000)


class LineClaims:
    """One runner's claims on batch lines and batches."""

    def __init__(self, engine: Engine, *, owner: str, lease_seconds: float) -> None:
        self._engine = engine
        self._writer = writing(engine)
        self.owner = owner
        self._lease_ms = int(lease_seconds * 1000)

    def claim(self, n: int) -> list[ClaimedLine]:
        """Up to ``n`` lines of ``in_progress`` batches, oldest batch first, now held by this runner."""
        now = now_ms()
        free = or_(batch_lines.c.claimed_by.is_(None), batch_lines.c.lease_until < now)
        query = (
            select(batch_lines.c.batch_id, batch_lines.c.line, batch_lines.c.custom_id, batch_lines.c.body,
                   batches.c.key_id, batches.c.endpoint)
            .join(batches, batches.c.batch_id == batch_lines.c.batch_id)
            .where(batches.c.status == "in_progress", batches.c.expires_at > now // 1000, batches.c.errors.is_(None))
            .where(batch_lines.c.result.is_(None), free)
            .order_by(batches.c.created_at, batch_lines.c.batch_id, batch_lines.c.line)
            .limit(n)
            .with_for_update(skip_locked=True, of=batch_lines)
        )  # fmt: skip
        with translated(), self._writer.begin() as conn:
            claimed = [ClaimedLine(*row) for row in conn.execute(query)]
            for batch_id in {line.batch_id for line in claimed}:
                numbers = [line.line for line in claimed if line.batch_id == batch_id]
                conn.execute(update(batch_lines)
                             .where(batch_lines.c.batch_id == batch_id, batch_lines.c.line.in_(numbers))
                             .values(claimed_by=self.owner, lease_until=now + self._lease_ms))  # fmt: skip
        return claimed

    def renew(self, lines: Collection[ClaimedLine]) -> None:
        """Extend the lease on ``lines`` (those this runner is still working on) that it holds without a result.

        Only those: a line whose round failed (its result could not be recorded: the registry away) is no
        longer worked on, and its lease must lapse so that a runner takes it up again; renewing every line
        the runner holds would keep such a line claimed, and its batch unfinished, as long as the runner lives.
        """
        mine = and_(batch_lines.c.claimed_by == self.owner, batch_lines.c.result.is_(None))
        until = now_ms() + self._lease_ms
        with translated(), self._writer.begin() as conn:
            for batch_id in {line.batch_id for line in lines}:
                numbers = [line.line for line in lines if line.batch_id == batch_id]
                conn.execute(update(batch_lines)
                             .where(mine, batch_lines.c.batch_id == batch_id, batch_lines.c.line.in_(numbers))
                             .values(lease_until=until))  # fmt: skip

    def record(self, line: ClaimedLine, *, ok: bool, result: str, tokens: tuple[int, int] = (0, 0)) -> bool:
        """Write the line's result and the ``(input, output)`` tokens its answer used, unless a result is written
        already; whether this one was."""
        query = (update(batch_lines)
                 .where(batch_lines.c.batch_id == line.batch_id, batch_lines.c.line == line.line,
                        batch_lines.c.result.is_(None))
                 .values(ok=ok, result=result, claimed_by=None, lease_until=None, input_tokens=tokens[0],
                         output_tokens=tokens[1]))  # fmt: skip
        with translated(), self._writer.begin() as conn:
            return bool(conn.execute(query).rowcount)

    def release(self) -> None:
        """Give back every line this runner holds without a result (a clean stop): others take them at once."""
        mine = and_(batch_lines.c.claimed_by == self.owner, batch_lines.c.result.is_(None))
        with translated(), self._writer.begin() as conn:
            conn.execute(update(batch_lines).where(mine).values(claimed_by=None, lease_until=None))

    def to_finish(self) -> list[StoredBatch]:
        """Batches ready to finalize, now claimed by this runner: ``in_progress`` with every line answered (now
        ``finalizing``), past its window or stopped with no line under a live claim, ``cancelling`` with no line
        under a live claim, or a finalization whose lease lapsed."""
        now = now_ms()
        line = batch_lines.c
        pending = exists().where(line.batch_id == batches.c.batch_id, line.result.is_(None))
        held = exists().where(line.batch_id == batches.c.batch_id, line.result.is_(None), line.lease_until >= now)
        ready = or_(
            and_(batches.c.status == "in_progress", ~pending),
            and_(batches.c.status == "in_progress", batches.c.expires_at <= now // 1000, ~held),
            and_(batches.c.status == "in_progress", batches.c.errors.is_not(None), ~held),  # stopped
            and_(batches.c.status == "cancelling", ~held),
            batches.c.status == "finalizing",
        )
        free = or_(batches.c.claimed_by.is_(None), batches.c.lease_until < now)
        query = select(batches).where(ready, free).with_for_update(skip_locked=True)
        with translated(), self._writer.begin() as conn:
            found = [stored_batch(row) for row in conn.execute(query)]
            for batch in found:
                values: dict[str, object] = {"claimed_by": self.owner, "lease_until": now + self._lease_ms}
                if batch.status == "in_progress":
                    times = {**batch.times, "finalizing_at": now // 1000}
                    values.update(status="finalizing", times=orjson.dumps(times).decode())
                conn.execute(update(batches).where(batches.c.batch_id == batch.batch_id).values(**values))
        return found

    def close_rest(self, batch_id: str, result: Callable[[str], str]) -> int:
        """Give every line without a result and not held under a live claim ``result(custom_id)`` as its failure
        (a batch past its window, or stopped); how many. A line in flight keeps its claim and records its answer."""
        line = batch_lines.c
        free = or_(line.claimed_by.is_(None), line.lease_until < now_ms())
        with translated(), self._writer.begin() as conn:
            rest = conn.execute(select(line.line, line.custom_id).where(line.batch_id == batch_id,
                                                                        line.result.is_(None), free)).all()  # fmt: skip
            if rest:
                conn.execute(
                    update(batch_lines).where(line.batch_id == batch_id, line.line == bindparam("number"),
                                              line.result.is_(None))
                    .values(ok=False, result=bindparam("text"), claimed_by=None, lease_until=None),
                    [{"number": number, "text": result(custom_id)} for number, custom_id in rest],
                )  # fmt: skip
        return len(rest)

    def stop(self, batch_id: str, error: dict[str, object], result: Callable[[str], str]) -> bool:
        """Stop a batch that may send no more (its key's budget spent): ``error`` becomes its ``errors`` (it
        ends ``failed``) and every line not yet sent gets ``result(custom_id)``; whether this call stopped it
        (the first of the lines refused together does)."""
        running = and_(batches.c.batch_id == batch_id, batches.c.status == "in_progress")
        first = update(batches).where(running, batches.c.errors.is_(None)).values(errors=orjson.dumps([error]).decode())
        with translated(), self._writer.begin() as conn:
            stopped = bool(conn.execute(first).rowcount)
            going = conn.execute(select(batches.c.batch_id).where(running)).first() is not None
        if going:
            self.close_rest(batch_id, result)
        return stopped

    def results(self, batch_id: str) -> list[tuple[bool, str]]:
        """Each answered line's result and whether it was a success, in the input file's order."""
        query = (select(batch_lines.c.ok, batch_lines.c.result)
                 .where(batch_lines.c.batch_id == batch_id, batch_lines.c.result.is_not(None))
                 .order_by(batch_lines.c.line))  # fmt: skip
        with translated(), self._engine.connect() as conn:
            return [(bool(ok), str(result)) for ok, result in conn.execute(query)]

    def finish(self, batch: StoredBatch, *, status: str, output_file_id: str | None, error_file_id: str | None) -> bool:
        """The batch ``status`` (``completed``, ``cancelled``) with its files, if this runner still holds it."""
        with translated(), self._writer.begin() as conn:
            row = conn.execute(select(batches.c.times).where(batches.c.batch_id == batch.batch_id)).one()
            times = {**orjson.loads(row.times), f"{status}_at": int(time.time())}
            done = conn.execute(
                update(batches).where(batches.c.batch_id == batch.batch_id, batches.c.claimed_by == self.owner)
                .values(status=status, times=orjson.dumps(times).decode(), output_file_id=output_file_id,
                        error_file_id=error_file_id, claimed_by=None, lease_until=None))  # fmt: skip
        return bool(done.rowcount)
