"""One request while it generates: its tokens, its text so far (decoded one token at a time, the same as
decoding all at once: :class:`IncrementalDetokenizer`), its stop strings (text held back while it could
still turn into one, so a stop never reaches the user: :class:`StopMatcher`), the queue its consumer
reads, and its :class:`Sampler`, which chooses the next token from the model's scores with the request's
parameters and seed. The sampler's steps are in transformers' order (repetition penalty, then temperature,
top-k, top-p, min-p), so a request sampled here behaves as it would with ``model.generate``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from hfgate.local.generation.guided import Constraint
from hfgate.local.generation.params import DecodingParams
from hfgate.tasks import FinishReason, GenerationDelta, TopToken, Usage

Picker = Callable[[Any, list[int]], int]


@dataclass(slots=True, eq=False)
class Sequence:
    """A generation in progress.

    The scheduler feeds it tokens with :meth:`accept`; it turns them into text deltas (stop strings held
    back), decides when it is finished, and queues deltas for the consumer. ``cancelled`` is set when the
    consumer goes away, and the scheduler then drops the sequence from the batch.
    """

    prompt_ids: list[int]
    params: DecodingParams
    detokenizer: IncrementalDetokenizer
    pick: Picker
    eos_ids: frozenset[int]
    penalize_prompt: bool = True
    scores: Callable[[], Scores] | None = None
    """The last picked token's log probability and top tokens (the sampler's ``last``)."""
    complete: Callable[[], bool] | None = None
    """Whether the guiding grammar is done (it allows nothing but the end): the answer ends there, a step
    before the end token, so a JSON answer closed by its last allowed token finishes as complete."""
    generated: list[int] = field(default_factory=list)
    finish_reason: FinishReason | None = None
    cancelled: bool = False
    queue: asyncio.Queue[GenerationDelta | BaseException] = field(default_factory=asyncio.Queue)
    _stops: StopMatcher = field(init=False)

    def __post_init__(self) -> None:
        self._stops = StopMatcher(self.params.stop)

    @property
    def done(self) -> bool:
        return self.finish_reason is not None or self.cancelled

    @property
    def last_token(self) -> int:
        return self.generated[-1]

    @property
    def history(self) -> list[int]:
        """Tokens the repetition penalty looks at."""
        return self.prompt_ids + self.generated if self.penalize_prompt else self.generated

    def accept(self, token_id: int) -> None:
        """Take the next token; queue the text it releases, and the end when it is the last."""
        self.generated.append(token_id)
        if token_id in self.eos_ids:
            self._finish("eos_token", self._stops.flush(), token_id=token_id)
            return
        text, stopped = self._stops.feed(self.detokenizer.add(token_id))
        if stopped:
            self._finish("stop_sequence", text, token_id=token_id)
        elif self.complete is not None and self.complete():
            self._finish("eos_token", text + self._stops.flush(), token_id=token_id)
        elif len(self.generated) >= self.params.max_new_tokens:
            self._finish("length", text + self._stops.flush(), token_id=token_id)
        else:  # one delta per token, even when its text is held back or not complete yet
            self.queue.put_nowait(self._delta(text, token_id=token_id))

    def fail(self, error: BaseException) -> None:
        """End the sequence with ``error``, which its consumer will raise."""
        if self.finish_reason is None:
            self.cancelled = True
            self.queue.put_nowait(error)

    def _finish(self, reason: FinishReason, text: str, *, token_id: int) -> None:
        self.finish_reason = reason
        usage = Usage(prompt_tokens=len(self.prompt_ids), completion_tokens=len(self.generated))
        self.queue.put_nowait(self._delta(text, token_id=token_id, finish_reason=reason, usage=usage))

    def _delta(
        self, text: str, *, token_id: int, finish_reason: FinishReason | None = None, usage: Usage | None = None
    ) -> GenerationDelta:
        logprob, top = self.scores() if self.scores is not None else (None, [])
        tokenizer, special = self.detokenizer.tokenizer, self.eos_ids
        top_tokens = tuple(TopToken(id=i, text=tokenizer.decode([i]), logprob=p, special=i in special) for i, p in top)
        return GenerationDelta(
            text=text,
            token_id=token_id,
            finish_reason=finish_reason,
            usage=usage,
            logprob=logprob,
            top_tokens=top_tokens,
            stop_sequence=self._stops.matched if finish_reason == "stop_sequence" else None,
        )


_INCOMPLETE = "\ufffd"


@dataclass(slots=True)
class IncrementalDetokenizer:
    """Text for each new token, the same as decoding all tokens at once.

    Decoding a token alone loses the spaces and merged bytes that depend on its neighbours, so each step
    decodes a short window of recent tokens and returns what that window adds; a token that ends in the
    middle of a UTF-8 character adds nothing until the character is complete.

    Args:
        tokenizer: a transformers tokenizer.
    """

    tokenizer: Any
    _ids: list[int] = field(default_factory=list, init=False)
    _prefix: int = field(default=0, init=False)
    _read: int = field(default=0, init=False)

    def add(self, token_id: int) -> str:
        """Append ``token_id``; the text it completes (possibly empty)."""
        self._ids.append(token_id)
        before = self._decode(self._ids[self._prefix : self._read])
        after = self._decode(self._ids[self._prefix :])
        if len(after) <= len(before) or after.endswith(_INCOMPLETE):
            return ""
        self._prefix, self._read = self._read, len(self._ids)
        return after[len(before) :]

    def _decode(self, ids: list[int]) -> str:
        text: str = self.tokenizer.decode(ids, skip_special_tokens=True)
        return text


@dataclass(slots=True)
class StopMatcher:
    """Watches generated text for stop strings.

    Text is released only once no stop string can start inside it; when a stop string is complete, the
    text before it is released and the rest (the stop string included) is dropped. When several are,
    the one that completes first wins, so the output is the same however the text is split into tokens.

    Example:
        >>> matcher = StopMatcher(("\\nUser:",))
        >>> matcher.feed("Hi!\\nUs")
        ('Hi!', False)
        >>> matcher.feed("er: ...")
        ('', True)
    """

    stops: tuple[str, ...]
    matched: str | None = field(default=None, init=False)
    """The stop string met, once one is."""
    _pending: str = field(default="", init=False)

    def feed(self, text: str) -> tuple[str, bool]:
        """Add ``text``; answer what may be shown now, and whether a stop string was met."""
        self._pending += text
        cut = self._first_stop()
        if cut is not None:
            released, self._pending = self._pending[:cut], ""
            return released, True
        keep = self._held_back()
        released = self._pending[: len(self._pending) - keep]
        self._pending = self._pending[len(released) :]
        return released, False

    def flush(self) -> str:
        """The text held back, once generation has ended for another reason."""
        released, self._pending = self._pending, ""
        return released

    def _first_stop(self) -> int | None:
        """Where the stop string that is complete first begins (so token boundaries never matter)."""
        found = [(i + len(s), i, s) for s, i in ((s, self._pending.find(s)) for s in self.stops if s) if i >= 0]
        if not found:
            return None
        _, start, self.matched = min(found)
        return start

    def _held_back(self) -> int:
        """Length of the longest tail of the pending text that begins some stop string."""
        longest = 0
        for stop in self.stops:
            for size in range(min(len(stop) - 1, len(self._pending)), longest, -1):
                if self._pending.endswith(stop[:size]):
                    longest = size
                    break
        return longest


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
