"""Choosing the next token from a model's scores, with one request's parameters and seed.

The order of the steps is transformers' own (repetition penalty, then temperature, top-k, top-p, min-p), so a
request sampled here behaves as it would with ``model.generate``.
"""

from __future__ import annotations

import random
from typing import Any

import torch

from hfgate.local.generation.guided import Constraint
from hfgate.local.generation.params import DecodingParams

Scores = tuple[float | None, list[tuple[int, float]]]


class Sampler:
    """Picks tokens for one request.

    Args:
        params: the request's decoding parameters; ``seed`` makes sampling repeatable.

    Example:
        >>> sampler = Sampler(DecodingParams(do_sample=True, temperature=0.8, seed=7))
        >>> # token = sampler.pick(logits_row, history)
    """

    def __init__(self, params: DecodingParams, *, constraint: Constraint | None = None) -> None:
        self.params = params
        self._constraint = constraint
        self.last: Scores = (None, [])
        """The last pick's log probability and the ``top_n_tokens`` most likely (id, log probability)."""
        self._generator: Any = None
        if not params.greedy:
            self._generator = torch.Generator().manual_seed(
                params.seed if params.seed is not None else random.getrandbits(63)
            )

    def pick(self, logits: torch.Tensor, history: list[int]) -> int:
        """The next token, from ``logits`` (one row over the vocabulary) and the tokens seen so far."""
        scores = logits.float()
        if self._constraint is not None:
            scores = self._constraint.mask(scores)
        if self.params.repetition_penalty != 1.0 and history:
            scores = self._penalize(scores, history)
        if self.params.greedy:  # numpy's argmax over one row of scores costs a tenth of torch's
            return self._remember(scores, int(scores.numpy().argmax()))
        scores = self._filter(scores / self.params.temperature)
        probs = torch.softmax(scores, dim=-1)
        return self._remember(scores, int(torch.multinomial(probs, 1, generator=self._generator)))

    def _remember(self, scores: torch.Tensor, token: int) -> int:
        """Keep the log probabilities of the distribution ``token`` was drawn from (as TGI reports them)."""
        logprobs = torch.log_softmax(scores, dim=-1)
        top: list[tuple[int, float]] = []
        if self.params.top_n_tokens:
            values, ids = torch.topk(logprobs, self.params.top_n_tokens)
            top = list(zip(ids.tolist(), values.tolist(), strict=True))
        self.last = (float(logprobs[token]), top)
        if self._constraint is not None:
            self._constraint.advance(token)
        return token

    def _penalize(self, scores: torch.Tensor, history: list[int]) -> torch.Tensor:
        seen = torch.tensor(sorted(set(history)), dtype=torch.long)
        picked = scores[seen]
        penalty = self.params.repetition_penalty
        scores = scores.clone()
        scores[seen] = torch.where(picked < 0, picked * penalty, picked / penalty)
        return scores

    def _filter(self, scores: torch.Tensor) -> torch.Tensor:
        top_k, top_p = self.params.top_k, self.params.top_p
        if 0 < top_k < scores.numel():
            kth = torch.topk(scores, top_k).values[-1]
            scores = scores.masked_fill(scores < kth, float("-inf"))
        if top_p < 1.0:
            ordered, order = torch.sort(scores, descending=False)
            cumulative = torch.softmax(ordered, dim=-1).cumsum(dim=-1)
            drop = cumulative <= 1 - top_p
            drop[-1] = False  # the most likely token always stays
            scores = scores.masked_fill(drop.scatter(0, order, drop), float("-inf"))
        if self.params.min_p > 0:  # vLLM's and transformers' min-p: relative to the likeliest token
            probs = torch.softmax(scores, dim=-1)
            scores = scores.masked_fill(probs < self.params.min_p * probs.max(), float("-inf"))
        return scores
