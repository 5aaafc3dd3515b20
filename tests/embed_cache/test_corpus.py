"""``embed-corpus`` run again after an edit: the upstream sees only the changed chunks, and every
vector written is the one the first run wrote, bit for bit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy
import pytest
from pyarrow import parquet

from hfgate.config import Settings
from hfgate.corpus.job import embed_corpus
from hfgate.corpus.progress import JsonReporter
from hfgate.corpus.spec import JobSpec
from hfgate.services import ServiceContext
from hfgate.telemetry.metrics import EMBED_CACHE_TEXTS
from tests.conftest import app_client
from tests.corpus.conftest import write_jsonl
from tests.embed_cache.conftest import LOCAL, LOCAL_BODY, SLOW_LOAD, TEI, cache_settings, tei_body
from tests.fakes.hf_server import FakeHF

pytestmark = pytest.mark.slow  # loads a real model: not in `make check`

DOCS = [
    "Hugging Face hosts many models. Some turn text into vectors that let a search engine find passages by meaning.",
    "A short one.",
    "Cats often sleep on warm windowsills; a kitten naps in a basket by the fire while the rain falls outside.",
    "Stock markets fell sharply today after the announcement, and analysts expect more volatility this week.",
    "The river rose overnight and the bridge was closed to traffic until the engineers could inspect it.",
    "A recipe: whisk two eggs with flour and milk, rest the batter, then fry thin pancakes in butter.",
]


def read_rows(output: Path) -> dict[tuple[str, int], dict[str, Any]]:
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for path in sorted((output / "parts").glob("*.parquet")):
        table = parquet.read_table(path)
        embeddings = table.column("embedding").combine_chunks().flatten().to_numpy().reshape(len(table), -1)
        for row, vector in zip(table.to_pylist(), embeddings, strict=True):
            rows[(row["id"], row["chunk"])] = {**row, "bytes": vector.tobytes()}
    return rows


async def _run(settings: Settings, context: ServiceContext, source: Path, output: Path, endpoint: str) -> None:
    spec = JobSpec(inputs=source, endpoint=endpoint, output=output, part_rows=4, batch_texts=2)
    await embed_corpus(spec, settings=settings, reporter=JsonReporter(), context=context)


async def test_a_second_run_after_an_edit_sends_only_the_changed_chunks_upstream(
    fake_hf: FakeHF, tmp_path: Path, local_context: ServiceContext
) -> None:
    settings = cache_settings(fake_hf.base, tmp_path / "data")
    async with app_client(settings, local_context) as http:
        assert (await http.put(f"/_inference/text_embedding/{TEI}", json=tei_body(fake_hf.base))).status_code == 200
    docs = [{"id": f"d{i}", "text": t} for i, t in enumerate(DOCS)]
    await _run(settings, local_context, write_jsonl(tmp_path / "v1.jsonl", docs), tmp_path / "out1", TEI)
    first_sent = [t for hit in fake_hf.hits("/tei/embed") for t in hit.body["inputs"]]
    docs[2] = {"id": "d2", "text": DOCS[2].replace("kitten", "puppy")}
    fake_hf.reset()
    await _run(settings, local_context, write_jsonl(tmp_path / "v2.jsonl", docs), tmp_path / "out2", TEI)
    sent = [t for hit in fake_hf.hits("/tei/embed") for t in hit.body["inputs"]]
    before, after = read_rows(tmp_path / "out1"), read_rows(tmp_path / "out2")
    changed = [row["text"] for key, row in after.items() if key not in before or before[key]["text"] != row["text"]]
    assert sorted(sent) == sorted(changed)
    assert 0 < len(sent) < len(first_sent) / 4
    for key, row in after.items():
        if row["text"] not in changed:
            assert row["bytes"] == before[key]["bytes"]


async def test_cached_corpus_vectors_are_the_computed_ones_bit_for_bit_and_fresh_ones_to_rounding(
    fake_hf: FakeHF, tmp_path: Path, local_context: ServiceContext
) -> None:
    settings = cache_settings(fake_hf.base, tmp_path / "data")
    fresh_body = {**LOCAL_BODY, "service_settings": {**LOCAL_BODY["service_settings"], "cache": "off"}}  # type: ignore[dict-item]
    async with app_client(settings, local_context) as http:
        for name, body in ((LOCAL, LOCAL_BODY), ("fresh", fresh_body)):
            answer = await http.put(f"/_inference/text_embedding/{name}", params=SLOW_LOAD, json=body)
            assert answer.status_code == 200, answer.text
    source = write_jsonl(tmp_path / "docs.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(DOCS)])
    await _run(settings, local_context, source, tmp_path / "computed", LOCAL)
    hits, misses = (EMBED_CACHE_TEXTS(LOCAL, outcome)._value.get() for outcome in ("hit", "miss"))
    await _run(settings, local_context, source, tmp_path / "cached", LOCAL)
    assert EMBED_CACHE_TEXTS(LOCAL, "miss")._value.get() == misses, "the second run computed nothing"
    assert EMBED_CACHE_TEXTS(LOCAL, "hit")._value.get() > hits
    await _run(settings, local_context, source, tmp_path / "fresh", "fresh")
    computed, cached, fresh = (read_rows(tmp_path / name) for name in ("computed", "cached", "fresh"))
    assert len(computed) > len(DOCS), "the documents are cut into several chunks"
    assert {k: r["bytes"] for k, r in cached.items()} == {k: r["bytes"] for k, r in computed.items()}
    # Computed again without the cache, a vector agrees to float32 rounding only: which texts share a
    # forward pass (timing decides) changes the padded length, and so the last bits.
    assert fresh.keys() == computed.keys()
    for key, row in fresh.items():
        again, first = (numpy.frombuffer(r["bytes"], dtype=numpy.float32) for r in (row, computed[key]))
        assert numpy.abs(again - first).max() < 1e-5, key


async def test_rows_sharing_an_id_keep_their_order_when_some_are_cached(
    fake_hf: FakeHF, tmp_path: Path, local_context: ServiceContext
) -> None:
    settings = cache_settings(fake_hf.base, tmp_path / "data")
    async with app_client(settings, local_context) as http:
        assert (await http.put(f"/_inference/text_embedding/{TEI}", json=tei_body(fake_hf.base))).status_code == 200
    await _run(
        settings, local_context, write_jsonl(tmp_path / "a.jsonl", [{"id": "x", "text": DOCS[1]}]), tmp_path / "a", TEI
    )
    rows = [{"id": "x", "text": DOCS[0]}, {"id": "x", "text": DOCS[1]}, {"id": "x", "text": DOCS[3]}]
    await _run(settings, local_context, write_jsonl(tmp_path / "b.jsonl", rows), tmp_path / "b", TEI)
    table = parquet.read_table(next((tmp_path / "b" / "parts").glob("*.parquet"))).to_pylist()
    texts, numbers = [row["text"] for row in table], [row["chunk"] for row in table]
    middle = texts.index(DOCS[1])  # the cached row, between two computed ones
    assert numbers == [*range(middle), 0, *range(len(texts) - middle - 1)]
    assert DOCS[0].startswith(texts[0])
    assert DOCS[3].endswith(texts[-1])
