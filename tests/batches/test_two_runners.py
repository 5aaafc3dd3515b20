"""Two replicas on one registry (two apps in this process, as two workers or a fleet over PostgreSQL), each
with its runner: every line of a batch is sent exactly once between them and answered once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from hfgate.batches.claims import ClaimedLine, LineClaims
from hfgate.services import SERVICES
from tests.batches.gateway import (
    URL,
    CountingService,
    embedding_lines,
    finished,
    gateway,
    keyed_settings,
    lines_of,
    upload,
)


async def test_two_runners_share_a_batch_and_send_each_line_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str | None
) -> None:
    monkeypatch.setitem(SERVICES, CountingService.name, CountingService)
    monkeypatch.setattr(CountingService, "calls", CountingService.calls.copy())
    monkeypatch.setattr(CountingService, "delay", 0.02)
    claimed: Counter[str] = Counter()
    claim = LineClaims.claim

    def counted(self: LineClaims, n: int) -> list[ClaimedLine]:
        lines = claim(self, n)
        if lines:  # runners of other modules' servers in this process poll too, and find nothing
            claimed[self.owner] += len(lines)
        return lines

    monkeypatch.setattr(LineClaims, "claim", counted)
    settings = keyed_settings(tmp_path / "data", batch_claim_lines=4, database_url=database_url)
    texts = [f"shared line {n}" for n in range(60)]
    async with gateway(settings) as one, gateway(settings, first=False) as two:
        CountingService.calls.clear()
        batch = await one.sdk.batches.create(input_file_id=await upload(one.sdk, embedding_lines(texts)), endpoint=URL,
                                             completion_window="24h")  # fmt: skip
        done = await finished(two.sdk, batch.id)
        output = await lines_of(two.sdk, done.output_file_id)
    assert done.request_counts is not None
    assert done.request_counts.model_dump() == {"total": 60, "completed": 60, "failed": 0}
    assert sorted(line["custom_id"] for line in output) == sorted(f"c{n}" for n in range(60))
    assert CountingService.calls == dict.fromkeys(texts, 1)
    assert len(claimed) == 2, f"one runner took every line: {claimed}"
    assert sum(claimed.values()) == 60
