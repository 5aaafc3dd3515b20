"""A batch survives a restart: the app (and its runner) stopped mid-batch and a new one started on the same data
directory (after a clean stop, or a kill that left its claims behind) answer every line exactly once; a line
whose result was recorded before the stop is never sent again, and the lines sent twice are at most those
claimed and in flight at the stop; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from hfgate.batches.claims import LineClaims
from hfgate.config import Settings
from hfgate.registry.database import make_engine
from hfgate.registry.schema import batch_lines
from hfgate.services import SERVICES
from tests.batches.gateway import (
    URL,
    CountingService,
    answered,
    embedding_lines,
    finished,
    gateway,
    keyed_settings,
    lines_of,
    upload,
)

CHUNK = 4


def _recorded(settings: Settings, batch_id: str) -> set[str]:
    """The custom ids whose result the registry holds."""
    engine = make_engine(settings)
    try:
        with engine.connect() as conn:
            query = select(batch_lines.c.custom_id).where(
                batch_lines.c.batch_id == batch_id, batch_lines.c.result.is_not(None)
            )
            return set(conn.execute(query).scalars())
    finally:
        engine.dispose()


@pytest.mark.parametrize("stop", ["clean", "killed"])
async def test_a_batch_stopped_mid_run_resumes_and_answers_every_line_exactly_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str | None, stop: str
) -> None:
    """``killed``: the first runner never gives its claims back (as a process killed mid-batch), so the second
    takes its unanswered lines up once their lease (1 s here) has lapsed."""
    monkeypatch.setitem(SERVICES, CountingService.name, CountingService)
    monkeypatch.setattr(CountingService, "calls", CountingService.calls.copy())
    monkeypatch.setattr(CountingService, "delay", 0.05)
    settings = keyed_settings(tmp_path / "data", batch_claim_lines=CHUNK, database_url=database_url,
                              batch_lease_seconds=1.0)  # fmt: skip
    texts = [f"line {n}" for n in range(40)]
    with monkeypatch.context() as dying:
        if stop == "killed":
            dying.setattr(LineClaims, "release", lambda self: None)
        async with gateway(settings) as first:
            CountingService.calls.clear()
            batch = await first.sdk.batches.create(input_file_id=await upload(first.sdk, embedding_lines(texts)),
                                                   endpoint=URL, completion_window="24h")  # fmt: skip
            await answered(first.sdk, batch.id, at_least=2 * CHUNK)
    before = _recorded(settings, batch.id)
    sent_before = sum(CountingService.calls.values())
    assert 2 * CHUNK <= len(before) < len(texts)

    async with gateway(settings, first=False) as second:
        done = await finished(second.sdk, batch.id)
        output = await lines_of(second.sdk, done.output_file_id)
    assert done.status == "completed"
    assert done.request_counts is not None
    assert done.request_counts.model_dump() == {"total": 40, "completed": 40, "failed": 0}
    assert sorted(line["custom_id"] for line in output) == sorted(f"c{n}" for n in range(40))  # each once
    recorded_texts = {texts[int(custom_id[1:])] for custom_id in before}
    assert all(CountingService.calls[text] == 1 for text in recorded_texts), "a recorded line was sent again"
    sent_twice = [text for text, times in CountingService.calls.items() if times > 1]
    assert len(sent_twice) <= CHUNK
    assert sent_before - len(before) <= CHUNK
    assert sum(CountingService.calls.values()) == len(texts) + len(sent_twice)
