"""Tokenizing in worker processes gives the ids the model's tokenizer gives called plainly (and that
transformers' tokenizer gives), for texts and for pairs; how many workers a model gets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hfgate.local.catalog import resolve_model
from hfgate.local.embedding.encoding import TextEncoding, tokenizer_processes
from hfgate.local.embedding.tokenize_workers import SLICE
from hfgate.local.embedding.tokens import TextTokenizer, TokenBatch

TEXTS = [
    "  How do I reset my password?  ",
    "東京は日本の首都です。",
    "Quarterly revenue rose 12.5% to $4.3 billion. " * 40,  # beyond 256 tokens: truncated
    "",
    "UPPER and lower",
]


@pytest.fixture(scope="module")
def minilm() -> Path:
    return resolve_model("all-MiniLM-L6-v2").path


@pytest.fixture(scope="module")
def pooled(minilm: Path) -> Iterator[TextEncoding]:
    encoding = TextEncoding(TextTokenizer(minilm, max_length=256, lowercase=True), processes=2)
    try:
        yield encoding
    finally:
        encoding.close()


async def test_worker_processes_give_the_ids_of_the_tokenizer_called_plainly(pooled: TextEncoding) -> None:
    texts = TEXTS * (SLICE // 2)  # several slices, spread over both workers
    rows = await pooled.encode(texts)
    plain = pooled.tokenizer.encode(texts)
    assert [row.ids.tolist() for row in rows] == [e.ids for e in plain]
    assert [row.type_ids.tolist() for row in rows] == [e.type_ids for e in plain]


async def test_the_ids_are_transformers_tokenizer_s_as_sentence_transformers_calls_it(
    pooled: TextEncoding, minilm: Path
) -> None:
    from transformers import AutoTokenizer

    theirs = AutoTokenizer.from_pretrained(str(minilm))(
        [t.strip().lower() for t in TEXTS], truncation=True, max_length=256
    )["input_ids"]
    assert [row.ids.tolist() for row in await pooled.encode(TEXTS)] == theirs


async def test_pairs_are_one_sequence_each_with_the_second_text_typed_1(pooled: TextEncoding) -> None:
    pairs = [("what is the capital", text) for text in TEXTS]
    rows = await pooled.encode_pairs(pairs)
    plain = pooled.tokenizer.encode_pairs(pairs)
    assert [row.ids.tolist() for row in rows] == [e.ids for e in plain]
    assert [row.type_ids.tolist() for row in rows] == [e.type_ids for e in plain]


async def test_a_batch_padded_from_worker_rows_is_the_batch_padded_from_encodings(pooled: TextEncoding) -> None:
    mine, theirs = TokenBatch.pad(await pooled.encode(TEXTS)), TokenBatch.pad(pooled.tokenizer.encode(TEXTS))
    for name, array in mine.inputs().items():
        assert (array == theirs.inputs()[name]).all()


def test_a_gpu_model_gets_a_worker_per_core_but_two_and_the_cpu_none_unless_set() -> None:
    assert tokenizer_processes(None, device="cuda", cores=16) == 14
    assert tokenizer_processes(None, device="cuda:1", cores=64) == 16
    assert tokenizer_processes(None, device="cuda", cores=2) == 1
    assert tokenizer_processes(None, device="cpu", cores=16) == 0
    assert tokenizer_processes(3, device="cpu") == 3
    assert tokenizer_processes(0, device="cuda") == 0
    # hfgate serve --workers N: each worker's share of the cores
    assert tokenizer_processes(None, device="cuda", cores=16, workers=4) == 2
    assert tokenizer_processes(None, device="cuda", cores=16, workers=16) == 1
    assert tokenizer_processes(5, device="cuda", cores=16, workers=4) == 5
