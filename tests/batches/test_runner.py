"""The runner on its own (no app: a scripted line call): it retries a line refused for now, never sends a
streamed one, ends a batch past its window ``expired`` with each line it never sent in the error file, and
stops a batch whose key's budget is spent."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, update

from hfgate.batches.blobs import DirectoryStore
from hfgate.batches.calls import Answer
from hfgate.batches.claims import LineClaims
from hfgate.batches.files import FileStore
from hfgate.batches.input import read_lines
from hfgate.batches.runner import BatchRunner
from hfgate.batches.store import BatchStore
from hfgate.config import Settings
from hfgate.registry.database import make_engine
from hfgate.registry.migrations import migrate
from hfgate.registry.schema import batch_lines, batches
from hfgate.registry.schema import files as files_table

URL = "/v1/embeddings"


class Script:
    """Answers each call with the next of ``statuses`` (then 200), counting the calls; a 429 or 503 says to
    come back after ``retry_after`` seconds."""

    def __init__(self, *statuses: int, retry_after: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.retry_after = retry_after
        self.sent: list[bytes] = []

    async def __call__(self, *, path: str, body: bytes, key_id: str) -> Answer:
        self.sent.append(body)
        status = self.statuses.pop(0) if self.statuses else 200
        wait = self.retry_after if status in (429, 503) else None
        answer = b'{"ok": true}' if status == 200 else b'{"error": {"message": "the daily budget is spent"}}'
        return Answer(status, answer, f"req-{len(self.sent)}", retry_after=wait)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = make_engine(Settings(data_dir=tmp_path))
    try:
        migrate(made)
        yield made
    finally:
        made.dispose()


def _runner(engine: Engine, tmp_path: Path, calls: Script, *, chunk: int = 8) -> tuple[BatchRunner, FileStore]:
    files = FileStore(engine, DirectoryStore(tmp_path / "files"))
    settings = Settings(data_dir=tmp_path, batch_claim_lines=chunk)
    claims = LineClaims(engine, owner="test", lease_seconds=60)
    return BatchRunner(claims=claims, files=files, calls=calls, settings=settings), files


def _batch(engine: Engine, bodies: list[dict[str, object]]) -> str:
    raw = [orjson.dumps({"custom_id": f"c{n}", "method": "POST", "url": URL, "body": b}) for n, b in enumerate(bodies)]
    read = read_lines(raw, endpoint=URL, max_lines=100)
    return BatchStore(engine).create(key_id="k", endpoint=URL, input_file_id="file-x", completion_window="24h",
                                     metadata=None, read=read).batch_id  # fmt: skip


def _lines(files: FileStore, file_id: str | None) -> list[dict[str, object]]:
    if file_id is None:
        return []
    with files.blobs.open(file_id) as read:
        return [orjson.loads(line) for line in read]


async def test_a_line_refused_for_now_is_sent_again_and_a_streamed_one_never(engine: Engine, tmp_path: Path) -> None:
    calls = Script(429, 429)
    runner, files = _runner(engine, tmp_path, calls)
    batch_id = _batch(engine, [{"input": "a"}, {"input": "b", "stream": True}])
    assert await runner.step()
    assert len(calls.sent) == 3  # the first line: 429, 429, then 200; the streamed line: not sent
    assert await runner.step()  # finalizes
    done = BatchStore(engine).get(batch_id, key_id="k")
    assert done.status == "completed"
    (answered,) = _lines(files, done.output_file_id)
    assert answered["response"] == {"status_code": 200, "request_id": "req-3", "body": {"ok": True}}
    (refused,) = _lines(files, done.error_file_id)
    assert (refused["custom_id"], refused["response"]) == ("c1", None)
    assert refused["error"]["code"] == "invalid_request"  # type: ignore[index]


async def test_a_batch_past_its_window_starts_no_line_and_ends_expired(engine: Engine, tmp_path: Path) -> None:
    calls = Script()
    runner, files = _runner(engine, tmp_path, calls, chunk=1)
    batch_id = _batch(engine, [{"input": str(n)} for n in range(4)])
    assert await runner.step()
    with engine.begin() as conn:
        conn.execute(update(batches).where(batches.c.batch_id == batch_id).values(expires_at=1))
    assert await runner.step()
    assert len(calls.sent) == 1
    done = BatchStore(engine).get(batch_id, key_id="k")
    assert done.status == "expired"
    assert "expired_at" in done.times
    assert BatchStore(engine).counts(batch_id) == {"total": 4, "completed": 1, "failed": 3}
    assert [line["custom_id"] for line in _lines(files, done.output_file_id)] == ["c0"]
    expired = _lines(files, done.error_file_id)
    assert [(line["custom_id"], line["error"]["code"]) for line in expired] == [  # type: ignore[index]
        ("c1", "batch_expired"), ("c2", "batch_expired"), ("c3", "batch_expired"),
    ]  # fmt: skip


async def test_a_draining_replica_claims_no_line_but_still_finalizes(engine: Engine, tmp_path: Path) -> None:
    calls = Script()
    files = FileStore(engine, DirectoryStore(tmp_path / "files"))
    claims = LineClaims(engine, owner="test", lease_seconds=60)
    draining = BatchRunner(claims=claims, files=files, calls=calls, settings=Settings(data_dir=tmp_path),
                           draining=lambda: True)  # fmt: skip
    _batch(engine, [{"input": "a"}])
    assert not await draining.step()
    assert calls.sent == []
    assert len(claims.claim(1)) == 1  # the line is still there for any runner


async def test_a_per_minute_limit_is_waited_out_and_a_budget_or_a_model_that_stays_away_is_the_answer(
    engine: Engine, tmp_path: Path
) -> None:
    paced = Script(*[429] * 12)  # a key's per-minute limit: every refusal waited out
    runner, _ = _runner(engine, tmp_path, paced)
    first = _batch(engine, [{"input": "a"}])
    await runner.step()
    assert len(paced.sent) == 13
    budget = Script(429, retry_after=3600)  # a budget spent until tomorrow: refused once, recorded
    runner, _ = _runner(engine, tmp_path, budget)
    second = _batch(engine, [{"input": "b"}])
    await runner.step()
    assert len(budget.sent) == 1
    loading = Script(*[503] * 10)  # a model that stays away: five tries
    runner, _ = _runner(engine, tmp_path, loading)
    third = _batch(engine, [{"input": "c"}])
    await runner.step()
    assert len(loading.sent) == 5
    counts = [BatchStore(engine).counts(batch_id) for batch_id in (first, second, third)]
    assert [(c["completed"], c["failed"]) for c in counts] == [(1, 0), (0, 1), (0, 1)]


async def test_a_spent_budget_stops_the_batch_with_the_lines_not_sent_marked(engine: Engine, tmp_path: Path) -> None:
    calls = Script(200, 429, retry_after=3600)  # the second line finds the key's budget spent until tomorrow
    runner, files = _runner(engine, tmp_path, calls, chunk=1)
    batch_id = _batch(engine, [{"input": str(n)} for n in range(4)])
    while await runner.step():
        pass
    assert len(calls.sent) == 2  # nothing sent after the refusal
    done = BatchStore(engine).get(batch_id, key_id="k")
    assert (done.status, "failed_at" in done.times) == ("failed", True)
    (error,) = done.errors or []
    assert (error["code"], error["line"]) == ("batch_stopped", 2)
    assert "the daily budget is spent" in error["message"]
    assert BatchStore(engine).counts(batch_id) == {"total": 4, "completed": 1, "failed": 3}
    assert [line["custom_id"] for line in _lines(files, done.output_file_id)] == ["c0"]
    refused, *unsent = _lines(files, done.error_file_id)
    assert (refused["custom_id"], refused["response"]["status_code"]) == ("c1", 429)  # type: ignore[index]
    assert [(line["custom_id"], line["error"]["code"]) for line in unsent] == [  # type: ignore[index]
        ("c2", "batch_stopped"), ("c3", "batch_stopped"),
    ]  # fmt: skip


async def test_a_stopped_batchs_line_left_by_a_dead_runner_is_not_sent_again(engine: Engine, tmp_path: Path) -> None:
    batch_id = _batch(engine, [{"input": str(n)} for n in range(3)])
    dead = LineClaims(engine, owner="dead", lease_seconds=600)
    assert [line.line for line in dead.claim(1)] == [1]  # claimed, never answered
    calls = Script(429, retry_after=3600)
    runner, files = _runner(engine, tmp_path, calls, chunk=1)
    assert await runner.step()  # line 2 refused: the batch stops, line 3 is closed, line 1 is still held
    assert not await runner.step()  # nothing to send, and line 1's claim is live: not finalized yet
    with engine.begin() as conn:  # the dead runner's lease lapses
        conn.execute(update(batch_lines).where(batch_lines.c.line == 1).values(lease_until=1))
    assert await runner.step()
    assert len(calls.sent) == 1  # line 1 was never sent again
    done = BatchStore(engine).get(batch_id, key_id="k")
    assert done.status == "failed"
    codes = {line["custom_id"]: (line["error"] or {}).get("code") for line in _lines(files, done.error_file_id)}
    assert codes == {"c0": "batch_stopped", "c1": None, "c2": "batch_stopped"}


async def test_the_running_runner_sweeps_expired_files_away_and_keeps_the_rest(engine: Engine, tmp_path: Path) -> None:
    files = FileStore(engine, DirectoryStore(tmp_path / "files"))
    settings = Settings(data_dir=tmp_path, batch_files_sweep_seconds=0.05, batch_poll_seconds=0.05)
    runner = BatchRunner(claims=LineClaims(engine, owner="test", lease_seconds=60), files=files, calls=Script(),
                         settings=settings)  # fmt: skip
    gone = files.add(key_id="k", purpose="batch", filename="old", source=io.BytesIO(b"{}\n"), expires_after=3600)
    kept = files.add(key_id="k", purpose="batch", filename="new", source=io.BytesIO(b"{}\n"), expires_after=3600)
    with engine.begin() as conn:  # uploaded an hour ago
        conn.execute(update(files_table).where(files_table.c.file_id == gone.file_id).values(expires_at=1))
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while (tmp_path / "files" / gone.file_id).exists():
            assert time.monotonic() < deadline, "the expired file is still there"
            await asyncio.sleep(0.02)
    finally:
        await runner.aclose()
    assert [f.file_id for f in files.list(key_id="k")] == [kept.file_id]
    assert sorted(p.name for p in (tmp_path / "files").iterdir()) == [kept.file_id]
