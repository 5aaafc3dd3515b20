"""Stored Responses API answers on SQLite and PostgreSQL: round trip, expiry, ownership listing, deletion."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from hfgate.config import Settings
from hfgate.registry.database import make_engine
from hfgate.registry.endpoint import utcnow
from hfgate.registry.migrations import migrate
from hfgate.registry.responses_store import ResponseStore, StoredResponse
from hfgate.registry.schema import responses

DAY = timedelta(days=1)


@pytest.fixture
def engine(tmp_path: Path, database_url: str | None) -> Iterator[Engine]:
    engine = make_engine(Settings(data_dir=tmp_path / "data", database_url=database_url))
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def _stored(response_id: str, *, key_id: str = "k1", ago: timedelta = timedelta(0)) -> StoredResponse:
    body = {"response": {"id": response_id, "output": [{"type": "message", "text": "héllo ✓"}]}, "conversation": []}
    return StoredResponse(
        response_id=response_id, key_id=key_id, inference_id="chat", body=body, created_at=utcnow() - ago
    )


def test_a_stored_response_reads_back_as_written_with_its_owner_and_size(engine: Engine) -> None:
    store = ResponseStore(engine)
    store.put(_stored("resp_1"), retention=DAY)
    got = store.get("resp_1")
    assert got is not None
    assert got.body == _stored("resp_1").body
    assert (got.key_id, got.inference_id) == ("k1", "chat")
    assert got.size_bytes > 0
    assert got.expires_at is not None
    assert got.expires_at - got.created_at == DAY


def test_an_expired_response_is_not_returned_and_is_purged(engine: Engine) -> None:
    store = ResponseStore(engine)
    store.put(_stored("old", ago=timedelta(hours=2)), retention=timedelta(hours=1))
    store.put(_stored("new"), retention=DAY)
    assert store.get("old") is None
    assert [r.response_id for r in store.list()] == ["new"]
    assert _rows(engine) == 1  # the first write of the process purged in passing
    store.put(_stored("older", ago=timedelta(hours=3)), retention=timedelta(hours=1))
    assert _rows(engine) == 2  # within a minute of the last purge: none in passing
    assert store.purge_expired() == 1
    assert _rows(engine) == 1


def _rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(responses)).scalar_one())


def test_listing_is_newest_first_and_filters_by_key(engine: Engine) -> None:
    store = ResponseStore(engine)
    store.put(_stored("a", ago=timedelta(minutes=2)), retention=DAY)
    store.put(_stored("b", key_id="k2", ago=timedelta(minutes=1)), retention=DAY)
    store.put(_stored("c"), retention=DAY)
    assert [r.response_id for r in store.list()] == ["c", "b", "a"]
    assert [r.response_id for r in store.list(key_id="k1")] == ["c", "a"]


def test_delete_says_whether_the_response_existed(engine: Engine) -> None:
    store = ResponseStore(engine)
    store.put(_stored("x"), retention=DAY)
    assert store.delete("x") is True
    assert store.delete("x") is False
    assert store.get("x") is None
