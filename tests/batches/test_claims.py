"""Lines are claimed in chunks under a lease, a lapsed claim is taken up by another runner, and a line's
result is written once however many runners sent it; on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hfgate.batches.claims import LineClaims
from hfgate.batches.input import read_lines
from hfgate.batches.store import BatchStore
from hfgate.config import Settings
from hfgate.registry.database import make_engine
from hfgate.registry.migrations import migrate

URL = "/v1/embeddings"


@pytest.fixture
def engine(tmp_path: Path, database_url: str | None) -> Iterator[Engine]:
    made = make_engine(Settings(data_dir=tmp_path, database_url=database_url))
    try:
        migrate(made)
        yield made
    finally:
        made.dispose()


def _batch(engine: Engine, lines: int) -> str:
    raw = [f'{{"custom_id": "c{n}", "method": "POST", "url": "{URL}", "body": {{"input": "t{n}"}}}}'.encode()
           for n in range(lines)]  # fmt: skip
    read = read_lines(raw, endpoint=URL, max_lines=100)
    made = BatchStore(engine).create(key_id="k", endpoint=URL, input_file_id="file-x", completion_window="24h",
                                     metadata=None, read=read)  # fmt: skip
    return made.batch_id


def test_runners_claim_disjoint_chunks_in_line_order(engine: Engine) -> None:
    batch_id = _batch(engine, 5)
    one, two = LineClaims(engine, owner="a", lease_seconds=60), LineClaims(engine, owner="b", lease_seconds=60)
    first, second, third = one.claim(2), two.claim(2), one.claim(2)
    assert [(c.batch_id, c.line) for c in first] == [(batch_id, 1), (batch_id, 2)]
    assert [c.line for c in second] == [3, 4]
    assert [c.line for c in third] == [5]
    assert one.claim(2) == two.claim(2) == []


def test_a_dead_runners_lines_are_taken_up_after_its_lease_and_recorded_once(engine: Engine) -> None:
    _batch(engine, 3)
    dead, alive = (
        LineClaims(engine, owner="dead", lease_seconds=3),
        LineClaims(engine, owner="alive", lease_seconds=60),
    )
    held = dead.claim(2)
    assert dead.record(held[0], ok=True, result="first")  # recorded before the "kill"
    assert [c.line for c in alive.claim(5)] == [3]  # line 2 is still under the dead runner's lease
    time.sleep(3.2)
    assert [c.line for c in alive.claim(5)] == [2]  # lapsed: taken up; line 1 (recorded) never again
    assert alive.record(held[1], ok=True, result="alive's")
    assert not dead.record(held[1], ok=True, result="late")  # the dead runner's late answer is not written
    assert not alive.record(held[0], ok=True, result="again")
    assert [text for _, text in alive.results(held[0].batch_id)] == ["first", "alive's"]


def test_a_clean_stop_gives_its_lines_back_at_once(engine: Engine) -> None:
    _batch(engine, 2)
    stopping, other = LineClaims(engine, owner="a", lease_seconds=60), LineClaims(engine, owner="b", lease_seconds=60)
    assert len(stopping.claim(2)) == 2
    assert other.claim(2) == []
    stopping.release()
    assert [c.line for c in other.claim(2)] == [1, 2]


def test_a_batch_is_finalized_by_one_runner_once_every_line_is_answered(engine: Engine) -> None:
    batch_id = _batch(engine, 2)
    one, two = LineClaims(engine, owner="a", lease_seconds=60), LineClaims(engine, owner="b", lease_seconds=60)
    lines = one.claim(2)
    one.record(lines[0], ok=True, result="r1")
    assert one.to_finish() == []
    one.record(lines[1], ok=False, result="r2")
    (ready,) = one.to_finish()
    assert (ready.batch_id, ready.status) == (batch_id, "in_progress")
    assert two.to_finish() == []  # held by the first
    assert BatchStore(engine).get(batch_id, key_id="k").status == "finalizing"
    assert BatchStore(engine).counts(batch_id) == {"total": 2, "completed": 1, "failed": 1}
    assert not two.finish(ready, status="completed", output_file_id="f1", error_file_id=None)
    assert one.finish(ready, status="completed", output_file_id="f1", error_file_id="f2")
    done = BatchStore(engine).get(batch_id, key_id="k")
    assert (done.status, done.output_file_id, done.error_file_id) == ("completed", "f1", "f2")
    assert {"in_progress_at", "finalizing_at", "completed_at"} <= set(done.times)


def test_a_cancelled_batch_starts_no_line_and_is_finished_once_its_lines_in_flight_are(engine: Engine) -> None:
    batch_id = _batch(engine, 4)
    runner = LineClaims(engine, owner="a", lease_seconds=60)
    in_flight = runner.claim(1)
    assert BatchStore(engine).cancel(batch_id, key_id="k").status == "cancelling"
    assert runner.claim(4) == []
    assert runner.to_finish() == []  # line 1 is still in flight
    runner.record(in_flight[0], ok=True, result="r1")
    (ready,) = runner.to_finish()
    assert ready.status == "cancelling"
    assert runner.finish(ready, status="cancelled", output_file_id="f1", error_file_id=None)
    assert BatchStore(engine).counts(batch_id) == {"total": 4, "completed": 1, "failed": 0}


def test_renewing_extends_only_the_lines_named_and_lets_the_others_lapse(engine: Engine) -> None:
    """A runner renews the lines it is still working on; one whose round failed (its result never recorded)
    lapses under a live runner and is taken up by another."""
    _batch(engine, 3)
    runner, other = LineClaims(engine, owner="a", lease_seconds=3), LineClaims(engine, owner="b", lease_seconds=60)
    held = runner.claim(3)
    time.sleep(1.5)
    runner.renew([held[0], held[2]])  # line 2's round failed: no longer worked on
    time.sleep(1.8)  # line 2's lease has lapsed (3.3 s after the claim), the renewed ones hold for 1.2 s more
    assert [c.line for c in other.claim(3)] == [2]  # lines 1 and 3 renewed: still the runner's
