"""A local cross-encoder scores as sentence-transformers' CrossEncoder.predict does, on the same files:
the model's activation (sigmoid by default for one label, Identity where saved), the same ranking."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hfgate.errors import BadRequestError
from hfgate.local.cache import Compute
from hfgate.local.rerank import CrossEncoderScorer
from tests.local.tiny_encoders import DOCUMENTS, QUERY, TinyEncoders, tiny_encoders

__all__ = ["tiny_encoders"]


def reference(path: Path) -> list[float]:
    from sentence_transformers import CrossEncoder

    scores = CrossEncoder(str(path), local_files_only=True).predict([(QUERY, d) for d in DOCUMENTS])
    return [float(s) for s in scores]


async def scores(path: Path) -> tuple[list[float], CrossEncoderScorer]:
    scorer = CrossEncoderScorer(path, compute=Compute(), name=path.name)
    try:
        return (await scorer.score(QUERY, DOCUMENTS)).scores, scorer
    finally:
        scorer.close()


def order(values: list[float]) -> list[int]:
    return sorted(range(len(values)), key=lambda i: -values[i])


@pytest.mark.parametrize("which", ["cross_encoder", "plain_cross_encoder", "raw_cross_encoder"])
async def test_scores_and_ranking_equal_sentence_transformers_predict(tiny_encoders: TinyEncoders, which: str) -> None:
    path = getattr(tiny_encoders, which)
    local, _ = await scores(path)
    expected = reference(path)
    assert max(abs(a - b) for a, b in zip(local, expected, strict=True)) <= 1e-4
    assert order(local) == order(expected)
    assert len(set(order(local))) == len(DOCUMENTS)


async def test_one_label_scores_are_a_sigmoid_unless_the_model_saved_identity(tiny_encoders: TinyEncoders) -> None:
    sigmoid, scorer = await scores(tiny_encoders.cross_encoder)
    raw, raw_scorer = await scores(tiny_encoders.raw_cross_encoder)
    assert (scorer.config.activation, raw_scorer.config.activation) == ("sigmoid", "identity")
    assert all(0 < s < 1 for s in sigmoid)
    assert any(not 0 < s < 1 for s in raw)  # logits: the wide init puts some past 0..1


def test_a_two_label_classifier_is_refused_naming_the_setting(tiny_encoders: TinyEncoders) -> None:
    with pytest.raises(BadRequestError) as refused:
        CrossEncoderScorer(tiny_encoders.two_labels, compute=Compute(), name="two")
    assert refused.value.param == "service_settings.model"
    assert "[2] labels" in refused.value.reason


async def test_concurrent_requests_share_forward_passes_and_each_gets_its_own_scores(
    tiny_encoders: TinyEncoders,
) -> None:
    compute = Compute()
    scorer = CrossEncoderScorer(tiny_encoders.cross_encoder, compute=compute, name="shared")
    try:
        alone = [(await scorer.score(QUERY, (d,))).scores[0] for d in DOCUMENTS]
        before = scorer.forward_passes
        together = await asyncio.gather(*(scorer.score(QUERY, (d,)) for d in DOCUMENTS))
    finally:
        scorer.close()
        compute.close()
    assert [t.scores[0] for t in together] == pytest.approx(alone, abs=1e-5)
    assert scorer.forward_passes - before < len(DOCUMENTS)
