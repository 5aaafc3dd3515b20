"""An embedding pass that raises: every request in it is answered, the others with their real vectors.

On all-MiniLM-L6-v2 and its real engine; the failures come from small subclasses of the embedder whose
forward pass cannot read one token, or is broken for a while.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
from tokenizers import Tokenizer

from hfgate.errors import LocalEngineError, ModelInputError
from hfgate.local.cache import Compute
from hfgate.local.embedding.embedder import SentenceEmbedder
from tests.local.test_embedding import MODEL

pytestmark = pytest.mark.slow  # loads a real model: not in `make check`

TEXTS = ["hello world", "a zebra crossing", "the quick brown fox"]
ZEBRA = Tokenizer.from_file(str(MODEL / "tokenizer.json")).token_to_id("zebra")


class Unreadable(SentenceEmbedder):
    """MiniLM whose forward pass raises on a batch holding the token ``zebra``."""

    def _forward(self, encodings: list[Any]) -> list[list[float]]:
        if any(ZEBRA in e.ids for e in encodings):
            raise ValueError(f"token [{ZEBRA}] cannot be read")
        return super()._forward(encodings)


class Broken(SentenceEmbedder):
    """MiniLM whose every forward pass raises while ``broken`` is set."""

    broken = False

    def _forward(self, encodings: list[Any]) -> list[list[float]]:
        if self.broken:
            raise RuntimeError("the engine lost its weights")
        return super()._forward(encodings)


@pytest.fixture(scope="module")
def compute() -> Iterator[Compute]:
    compute = Compute()
    try:
        yield compute
    finally:
        compute.close()


E = TypeVar("E", bound=SentenceEmbedder)


def loaded(kind: type[E], compute: Compute, models_dir: Path) -> E:
    return kind(MODEL, compute=compute, cache_dir=models_dir, engine="torch")


async def test_a_text_the_engine_cannot_read_is_refused_and_its_pass_mates_get_their_vectors(
    compute: Compute, tmp_path: Path
) -> None:
    model = loaded(Unreadable, compute, tmp_path)
    try:
        alone = [await model.embed([text]) for text in (TEXTS[0], TEXTS[2])]
        first, bad, last = await asyncio.gather(*(model.embed([t]) for t in TEXTS), return_exceptions=True)
        assert model.forward_passes == 2 + 1 + 3, "one shared pass, then one per text"
    finally:
        model.close()
    assert isinstance(bad, ModelInputError)
    assert bad.status == 400
    assert "cannot be read" in bad.reason
    assert "[torch]" in bad.reason
    assert np.allclose(first, alone[0], atol=1e-5)
    assert np.allclose(last, alone[1], atol=1e-5)


async def test_a_broken_engine_answers_each_request_with_a_500_naming_it_and_serves_again_once_fixed(
    compute: Compute, tmp_path: Path
) -> None:
    model = loaded(Broken, compute, tmp_path)
    try:
        expected = await model.embed([TEXTS[0]])
        model.broken = True
        answers = await asyncio.gather(*(model.embed([t]) for t in TEXTS), return_exceptions=True)
        model.broken = False
        assert model._batcher.waiting == 0, "nothing left in the queue"
        again = await model.embed([TEXTS[0]])
    finally:
        model.close()
    for answer in answers:
        assert isinstance(answer, LocalEngineError)
        assert answer.status == 500
        assert "[torch] engine failed" in answer.reason
    assert np.allclose(again, expected, atol=1e-6)
