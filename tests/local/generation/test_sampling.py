"""Token choice: greedy, repetition penalty as transformers applies it, top-k and top-p filtering."""

from __future__ import annotations

import torch

from hfgate.local.generation.params import DecodingParams
from hfgate.local.generation.sequence import Sampler


def test_greedy_picks_the_highest_score() -> None:
    assert Sampler(DecodingParams()).pick(torch.tensor([0.1, 3.0, 2.0]), []) == 1


def test_repetition_penalty_divides_positive_and_multiplies_negative_scores_of_seen_tokens() -> None:
    sampler = Sampler(DecodingParams(repetition_penalty=2.0))
    assert sampler.pick(torch.tensor([1.0, 3.0, 2.0]), [1]) == 2  # 3.0 / 2 < 2.0
    assert sampler.pick(torch.tensor([-1.0, -0.8, -3.0]), [1]) == 0  # -0.8 * 2 < -1.0


def test_top_k_one_and_tiny_top_p_sample_only_the_best_token() -> None:
    logits = torch.tensor([0.0, 0.5, 0.4, 0.1])
    for params in (DecodingParams(do_sample=True, top_k=1, seed=3), DecodingParams(do_sample=True, top_p=0.01)):
        sampler = Sampler(params)
        assert {sampler.pick(logits, []) for _ in range(20)} == {1}


def test_same_seed_gives_the_same_samples() -> None:
    logits = torch.zeros(50)

    def draw(seed: int) -> list[int]:
        sampler = Sampler(DecodingParams(do_sample=True, seed=seed))
        return [sampler.pick(logits, []) for _ in range(10)]

    assert draw(11) == draw(11)
    assert draw(11) != draw(12)


def test_min_p_drops_the_tokens_less_likely_than_its_share_of_the_likeliest() -> None:
    """vLLM's and transformers' min-p: with ``min_p`` 0.5 a token stays only if at least half as likely as the
    best; token 3 (e^-3 of the best) is never drawn, the two close ones are."""
    logits = torch.tensor([0.0, 2.0, 1.9, -1.0])
    sampler = Sampler(DecodingParams(do_sample=True, min_p=0.5, seed=5))
    assert {sampler.pick(logits, []) for _ in range(60)} == {1, 2}
    unfiltered = Sampler(DecodingParams(do_sample=True, seed=5))
    assert len({unfiltered.pick(logits, []) for _ in range(200)}) > 2
