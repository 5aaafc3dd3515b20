"""The corpus job in one process: the API's vectors, every bad row reported, resume, refusal on change."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from pyarrow import parquet

from hfgate.config import Settings
from hfgate.corpus.job import embed_corpus
from hfgate.corpus.progress import JsonReporter
from hfgate.corpus.spec import JobSpec
from hfgate.errors import BadRequestError
from hfgate.services import ServiceContext
from tests.conftest import app_client
from tests.corpus.conftest import CHUNKING, ENDPOINT, TEXTS, api_chunks, write_jsonl


def read_output(output: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for path in sorted((output / "parts").glob("*.parquet")):
        rows += parquet.read_table(path).to_pylist()
    return rows


async def test_the_job_writes_exactly_the_chunks_and_vectors_the_api_gives(
    tmp_path: Path, corpus_settings: Settings, shared_context: ServiceContext, endpoint: str
) -> None:
    source = write_jsonl(tmp_path / "docs.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(TEXTS)])
    spec = JobSpec(inputs=source, endpoint=endpoint, output=tmp_path / "out", part_rows=3, batch_texts=2)
    report = await embed_corpus(spec, settings=corpus_settings, reporter=JsonReporter(), context=shared_context)

    expected = await api_chunks(corpus_settings, shared_context, TEXTS)
    written = read_output(tmp_path / "out")
    assert report.parts_written == 2
    assert report.totals.chunks == len(written) == sum(len(chunks) for chunks in expected)
    assert max(len(chunks) for chunks in expected) > 1, "the test needs texts cut into several chunks"
    by_key = {(row["id"], row["chunk"]): row for row in written}
    for i, chunks in enumerate(expected):
        for n, chunk in enumerate(chunks):
            row = by_key[(f"d{i}", n)]
            assert (row["start_offset"], row["end_offset"], row["text"]) == (
                chunk["start_offset"],
                chunk["end_offset"],
                chunk["text"],
            )
            # Stored as float32, as the schema promises: equal to the API's vector at float32 precision.
            np.testing.assert_allclose(row["embedding"], chunk["embedding"], rtol=0, atol=1e-6)
    schema = parquet.read_schema(next((tmp_path / "out" / "parts").glob("*.parquet")))
    embedding = schema.field("embedding").type
    assert (embedding.list_size, str(embedding.value_type)) == (384, "float")


async def test_bad_rows_and_unreadable_files_are_counted_reported_and_written_to_rejects(
    tmp_path: Path, corpus_settings: Settings, shared_context: ServiceContext, endpoint: str
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_jsonl(
        inputs / "a.jsonl",
        [
            {"id": "ok-1", "text": "A fine row."},
            {"id": "no-text"},
            {"id": "number", "text": 42},
            '{"id": "broken", "text": ',
            {"text": "a row without an id"},
            {"id": "blank", "text": "   "},
        ],
    )
    with (inputs / "b.csv").open("w", newline="") as sink:
        writer = csv.writer(sink)
        writer.writerows([["id", "text"], ["007", "Kept as text, with its zeros."], ["008", ""]])
    (inputs / "c.parquet").write_bytes(b"this is not parquet")
    spec = JobSpec(inputs=inputs, endpoint=endpoint, output=tmp_path / "out")
    report = await embed_corpus(spec, settings=corpus_settings, reporter=JsonReporter(), context=shared_context)

    reasons = {(r.source, r.id): r.reason for r in report.rejects}
    assert reasons[("a.jsonl", "no-text")] == "the row has no text field [text]"
    assert reasons[("a.jsonl", "number")] == "the text field [text] is not a string (int)"
    assert reasons[("a.jsonl", "#3")].startswith("the line is not JSON")
    assert reasons[("a.jsonl", "#4")] == "the row has no id field [id]"
    assert reasons[("a.jsonl", "blank")] == "the text field [text] is blank"
    assert reasons[("b.csv", "008")] == "the row has no text field [text]"
    assert reasons[("c.parquet", "*")].startswith("the file cannot be read")
    assert len(report.rejects) == 7
    assert len((tmp_path / "out" / "rejects.jsonl").read_text().splitlines()) == 7
    assert {row["id"] for row in read_output(tmp_path / "out")} == {"ok-1", "007"}


async def test_a_second_run_skips_finished_parts_and_writes_no_duplicate(
    tmp_path: Path, corpus_settings: Settings, shared_context: ServiceContext, endpoint: str
) -> None:
    source = write_jsonl(tmp_path / "docs.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(TEXTS)])
    spec = JobSpec(inputs=source, endpoint=endpoint, output=tmp_path / "out", part_rows=2)
    first = await embed_corpus(spec, settings=corpus_settings, reporter=JsonReporter(), context=shared_context)
    rows = read_output(tmp_path / "out")
    again = await embed_corpus(spec, settings=corpus_settings, reporter=JsonReporter(), context=shared_context)
    assert (first.parts_written, again.parts_written, again.parts_skipped) == (2, 0, 2)
    assert read_output(tmp_path / "out") == rows


async def test_a_changed_chunking_setting_is_refused_on_resume(
    tmp_path: Path, corpus_settings: Settings, shared_context: ServiceContext, endpoint: str
) -> None:
    source = write_jsonl(tmp_path / "docs.jsonl", [{"id": "d0", "text": TEXTS[0]}])
    spec = JobSpec(inputs=source, endpoint=endpoint, output=tmp_path / "out")
    await embed_corpus(spec, settings=corpus_settings, reporter=JsonReporter(), context=shared_context)
    async with app_client(corpus_settings, shared_context) as http:
        changed = {"chunking_settings": {**CHUNKING, "max_chunk_size": 20}}
        assert (await http.put(f"/_inference/{ENDPOINT}/_update", json=changed)).status_code == 200
    with pytest.raises(BadRequestError, match=r"chunking_settings changed since it was started"):
        await embed_corpus(spec, settings=corpus_settings, reporter=JsonReporter(), context=shared_context)


async def test_an_endpoint_that_does_not_embed_is_refused_by_name(
    tmp_path: Path, corpus_settings: Settings, shared_context: ServiceContext
) -> None:
    source = write_jsonl(tmp_path / "docs.jsonl", [{"id": "d0", "text": "x"}])
    settings = corpus_settings.model_copy(update={"provision_defaults": True})
    spec = JobSpec(inputs=source, endpoint=".smollm2-135m-instruct", output=tmp_path / "out")
    with pytest.raises(BadRequestError, match=r"\[--endpoint\].*needs a text_embedding endpoint"):
        await embed_corpus(spec, settings=settings, reporter=JsonReporter(), context=shared_context)


async def test_a_missing_input_is_named(
    tmp_path: Path, corpus_settings: Settings, shared_context: ServiceContext, endpoint: str
) -> None:
    spec = JobSpec(inputs=tmp_path / "nowhere", endpoint=endpoint, output=tmp_path / "out")
    with pytest.raises(BadRequestError, match=r"\[INPUT\] .*nowhere does not exist"):
        await embed_corpus(spec, settings=corpus_settings, reporter=JsonReporter(), context=shared_context)
