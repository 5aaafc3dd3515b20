"""A job killed with SIGKILL mid-run resumes with no duplicate and no missing row."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hfgate.config import Settings
from hfgate.corpus.job import embed_corpus
from hfgate.corpus.manifest import NAME
from hfgate.corpus.progress import JsonReporter
from hfgate.corpus.spec import JobSpec
from hfgate.services import ServiceContext
from tests.corpus.conftest import TEXTS, write_jsonl
from tests.corpus.test_job import read_output

ROWS = 240
PART_ROWS = 8


def _recorded(output: Path) -> int:
    try:
        return len(json.loads((output / NAME).read_text())["parts"])
    except (FileNotFoundError, json.JSONDecodeError):
        return 0


def _start_cli(source: Path, output: Path, *, data_dir: Path, endpoint: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HFGATE_DATA_DIR": str(data_dir), "HFGATE_PROVISION_DEFAULTS": "false"}
    command = [sys.executable, "-c", "from hfgate.cli import main; main()", "embed-corpus", str(source)]
    command += ["--endpoint", endpoint, "--output", str(output), "--part-rows", str(PART_ROWS), "--batch", "2"]
    command += ["--concurrency", "1", "--json"]
    with (output.parent / "job.log").open("wb") as log:
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)


async def test_sigkill_mid_job_then_resume_gives_every_row_exactly_once(
    tmp_path: Path, corpus_settings: Settings, shared_context: ServiceContext, endpoint: str
) -> None:
    rows = [{"id": f"r{i}", "text": f"{TEXTS[i % len(TEXTS)]} (row {i})"} for i in range(ROWS)]
    source = write_jsonl(tmp_path / "docs.jsonl", rows)
    output = tmp_path / "out"
    job = _start_cli(source, output, data_dir=corpus_settings.data_dir, endpoint=endpoint)
    try:
        deadline = time.monotonic() + 240
        # Polling: the signal to wait for is a file another process writes.
        while _recorded(output) < 3 and job.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        assert job.poll() is None, f"the job ended before it was killed: {(tmp_path / 'job.log').read_text()}"
        job.send_signal(signal.SIGKILL)
    finally:
        job.wait(timeout=30)
    killed_at = _recorded(output)
    assert 3 <= killed_at < ROWS // PART_ROWS

    spec = JobSpec(inputs=source, endpoint=endpoint, output=output, part_rows=PART_ROWS)
    resumed = await embed_corpus(spec, settings=corpus_settings, reporter=JsonReporter(), context=shared_context)
    assert resumed.parts_skipped == killed_at
    assert resumed.parts_written == ROWS // PART_ROWS - killed_at

    clean_spec = JobSpec(inputs=source, endpoint=endpoint, output=tmp_path / "clean", part_rows=PART_ROWS)
    await embed_corpus(clean_spec, settings=corpus_settings, reporter=JsonReporter(), context=shared_context)
    keys = [(r["id"], r["chunk"], r["start_offset"], r["end_offset"]) for r in read_output(output)]
    clean = [(r["id"], r["chunk"], r["start_offset"], r["end_offset"]) for r in read_output(tmp_path / "clean")]
    assert len(keys) == len(set(keys)), "a row was written twice"
    assert sorted(keys) == sorted(clean), "the resumed output differs from an uninterrupted run"
    assert {k[0] for k in keys} == {r["id"] for r in rows}
    assert not list((output / "parts").glob("*.tmp")), "a half-written part was left behind"
