"""The corpus job on a local Ray instance gives the same rows and vectors as the single-process job."""

from __future__ import annotations

import asyncio
import csv
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pyarrow import parquet

from hfgate.config import Settings
from hfgate.corpus.job import embed_corpus
from hfgate.corpus.progress import JsonReporter
from hfgate.corpus.ray_job import import_ray, run_on_ray, share_of_limit
from hfgate.corpus.spec import JobSpec
from hfgate.errors import BadRequestError
from hfgate.registry.endpoint import Endpoint
from hfgate.services import ServiceContext
from hfgate.tasks import TaskType
from tests.corpus.conftest import TEXTS, write_jsonl


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[object]:
    """A small local Ray (two CPUs, no dashboard), shut down after the module."""
    ray = import_ray()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def rows_of(folder: Path) -> dict[tuple[str, int], dict[str, object]]:
    found: dict[tuple[str, int], dict[str, object]] = {}
    for path in sorted(folder.rglob("*.parquet")):
        for row in parquet.read_table(path).to_pylist():
            key = (str(row["id"]), int(row["chunk"]))
            assert key not in found, f"{key} written twice"
            found[key] = row
    return found


def test_ray_gives_the_rows_and_vectors_of_the_single_process_job(
    tmp_path: Path, corpus_settings: Settings, shared_context: ServiceContext, endpoint: str, ray_instance: object
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_jsonl(
        inputs / "a.jsonl", [{"id": f"a{i}", "text": t} for i, t in enumerate(TEXTS)] + [{"id": "bad", "text": 1}]
    )
    write_jsonl(inputs / "b.jsonl", [{"id": f"b{i}", "text": t} for i, t in enumerate(reversed(TEXTS))])
    with (inputs / "c.csv").open("w", newline="") as sink:
        csv.writer(sink).writerows([["id", "text"], ["007", TEXTS[1]], ["008", TEXTS[2]]])
    local = JobSpec(inputs=inputs, endpoint=endpoint, output=tmp_path / "local")
    asyncio.run(embed_corpus(local, settings=corpus_settings, reporter=JsonReporter(), context=shared_context))

    on_ray = JobSpec(inputs=inputs, endpoint=endpoint, output=tmp_path / "ray", batch_texts=2, concurrency=1)
    report = run_on_ray(on_ray, settings=corpus_settings, address="local", workers=1, reporter=JsonReporter())

    expected, got = rows_of(tmp_path / "local" / "parts"), rows_of(tmp_path / "ray" / "parts")
    assert got.keys() == expected.keys()
    for key, row in expected.items():
        assert (got[key]["start_offset"], got[key]["end_offset"], got[key]["text"]) == (
            row["start_offset"],
            row["end_offset"],
            row["text"],
        )
        np.testing.assert_allclose(got[key]["embedding"], row["embedding"], rtol=0, atol=1e-6)
    assert [(r.id, r.reason) for r in report.rejects] == [("bad", "the text field [text] is not a string (int)")]

    again = run_on_ray(on_ray, settings=corpus_settings, address="local", workers=1, reporter=JsonReporter())
    assert (again.parts_written, again.parts_skipped) == (0, 3)


def test_each_ray_worker_takes_its_share_of_a_remote_rate_limit() -> None:
    endpoint = Endpoint(
        inference_id="remote",
        task_type=TaskType.TEXT_EMBEDDING,
        service="hugging_face",
        service_settings={"url": "http://127.0.0.1:1", "rate_limit": {"requests_per_minute": 3000}},
    )
    assert share_of_limit(endpoint, 4).service_settings["rate_limit"] == {"requests_per_minute": 750}
    assert share_of_limit(endpoint, 1) is endpoint


def test_without_ray_the_message_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # what an environment without the extra looks like
    with pytest.raises(BadRequestError, match=r"pip install 'hfgate\[ray\]'"):
        import_ray()
