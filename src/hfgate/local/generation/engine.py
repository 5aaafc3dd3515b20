"""A loaded generation model behind one interface: prompts in, tokens and text out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Mapping
from collections.abc import Sequence as Seq
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Any

from hfgate.chat.messages import ChatMessage
from hfgate.chat.tools import Tool
from hfgate.errors import BadRequestError, EmptyInputError
from hfgate.local.cache import Compute
from hfgate.local.generation.auto import AutoEngine
from hfgate.local.generation.chat_template import render_chat
from hfgate.local.generation.guided import Constraint, GrammarCompiler
from hfgate.local.generation.loading import LanguageModel
from hfgate.local.generation.params import DecodingParams
from hfgate.local.generation.prefill import prompt_tokens
from hfgate.local.generation.scheduler import Scheduler
from hfgate.local.generation.sequence import IncrementalDetokenizer, Sampler, Sequence
from hfgate.local.measuring.record import MEASURING, MeasuredChoice
from hfgate.local.measuring.switch import log_switch, measured_winner
from hfgate.tasks import Generation, GenerationDelta, Usage

log = logging.getLogger("hfgate.local")

MAX_BATCH_SIZE = 16


class TextGenerator:
    """Generates text with one model, many requests decoded together.

    Args:
        lm: the loaded model.
        compute: the thread where model steps run.
        max_batch_size: requests decoded together; more wait for a free row.

    Example:
        >>> # generator = TextGenerator(load_language_model(path, ...), compute=compute)
        >>> # async for delta in generator.stream(generator.encode_prompt("Once"), DecodingParams()):
        >>> #     print(delta.text, end="")
    """

    def __init__(
        self,
        lm: LanguageModel,
        *,
        compute: Compute,
        max_batch_size: int = MAX_BATCH_SIZE,
        engine_choice: MeasuredChoice | None = None,
        auto: AutoEngine | None = None,
    ) -> None:
        self._compute = compute
        self._max = max_batch_size
        self._running = _Running.start(lm, compute=compute, max_batch_size=max_batch_size)
        self._draining: list[Scheduler] = []
        self._auto = auto
        self._closed = False
        self.engine_choice = engine_choice
        """Which engine generates and why (``engine: auto``); ``None`` when built on a given model."""

    @classmethod
    def auto(cls, auto: AutoEngine, *, compute: Compute) -> TextGenerator:
        """The model on its recorded engine, or on its exact default while the candidates are measured
        (the cache then starts the background switch: :meth:`switch_engine`)."""
        recorded = auto.recorded()
        if recorded is not None:
            return cls(auto.load(recorded.engine), compute=compute, engine_choice=recorded)
        choice = auto.default()
        return cls(auto.load(choice.engine), compute=compute, engine_choice=choice, auto=auto)

    @property
    def lm(self) -> LanguageModel:
        """The model new requests run on."""
        return self._running.lm

    @property
    def active(self) -> int:
        """Requests decoding or waiting for a row of the batch (on the engine switched from too)."""
        self._draining = [s for s in self._draining if s.active]
        return self._running.scheduler.active + sum(s.active for s in self._draining)

    @property
    def memory_bytes(self) -> int:
        return self.lm.memory_bytes

    @property
    def device(self) -> str:
        """Where the model computes: ``cpu``, ``cuda`` or ``cuda:N`` (shown as ``service_settings.device``)."""
        return self.lm.device

    @property
    def _name(self) -> str:
        return str(self._auto.record_source) if self._auto else ""

    @property
    def measuring(self) -> bool:
        """Serving on the exact default while the candidates are measured (``auto`` with nothing recorded)."""
        return self._auto is not None and self.engine_choice is not None and self.engine_choice.reason == MEASURING

    def switch_engine(self, *, one_load: AbstractContextManager[Any], loop: asyncio.AbstractEventLoop) -> None:
        """Measure the candidates (blocking: run in a thread), load the winner and switch to it on ``loop``:
        new requests go to the new engine while running ones finish on the old one.

        Raises:
            HfGateError: the measurement failed; the model keeps its default engine and says so.
        """
        if self._auto is None or self.engine_choice is None:
            return  # built on a given model: nothing to measure
        choice = measured_winner(self.engine_choice, self._auto.measured, keep=self._show, model=self._name)
        if choice is None:
            return
        with one_load:
            lm = self._auto.load(choice.engine)
        loop.call_soon_threadsafe(self._adopt, lm, choice)

    def _adopt(self, lm: LanguageModel, choice: MeasuredChoice) -> None:
        """On the event loop, between two decode steps: the next request starts on ``lm``."""
        if self._closed:  # unloaded while the winner loaded
            return
        before = self.engine_choice.engine if self.engine_choice else None
        self._draining.append(self._running.scheduler)
        self._running = _Running.start(lm, compute=self._compute, max_batch_size=self._max)
        self.engine_choice = choice
        log_switch(self._name, before=before, after=choice.engine)

    def _show(self, choice: MeasuredChoice) -> None:
        self.engine_choice = choice

    def close(self) -> None:
        """Nothing to release eagerly: requests in flight keep the model until they finish; the
        model's memory goes when the last reference does."""
        self._closed = True

    async def aclose(self) -> None:
        for scheduler in [*self._draining, self._running.scheduler]:
            await scheduler.aclose()

    def encode_prompt(self, prompt: str) -> list[int]:
        """Token ids of a plain prompt, with the special tokens the tokenizer adds."""
        ids: list[int] = self.lm.tokenizer(prompt)["input_ids"]
        return ids

    def encode_chat(
        self,
        messages: Seq[ChatMessage],
        *,
        tools: Seq[Tool] = (),
        tool_prompt: str | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> list[int]:
        """Token ids of a conversation (and the ``tools`` it may call, introduced by ``tool_prompt`` when
        given) rendered with the model's chat template (and the request's template ``variables``).

        Raises:
            BadRequestError: the model has no chat template.
        """
        text = render_chat(self.lm.tokenizer, messages, tools=tools, tool_prompt=tool_prompt, variables=variables)
        ids: list[int] = self.lm.tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids

    async def stream(self, prompt_ids: list[int], params: DecodingParams) -> AsyncGenerator[GenerationDelta, None]:
        """Deltas as tokens are decoded; the last carries ``finish_reason`` and ``usage``.

        Closing the iterator early (the client went away) takes the request out of the batch.

        Raises:
            EmptyInputError: ``prompt_ids`` is empty.
            BadRequestError: the prompt leaves no room in the model's context for an answer.
        """
        running = self._running  # one engine for the whole request, even if the model switches meanwhile
        constraint = await self._compute.run(running.grammars.constraint, params.grammar) if params.grammar else None
        sequence = self._sequence(running, prompt_ids, params, constraint=constraint)
        prefill = await self._compute.run(prompt_tokens, running.lm, prompt_ids) if params.prefill else ()
        running.scheduler.submit(sequence)
        try:
            while True:
                item = await sequence.queue.get()
                if isinstance(item, BaseException):
                    raise item
                if prefill:
                    item, prefill = replace(item, prefill=prefill), ()
                yield item
                if item.finish_reason is not None:
                    return
        finally:
            sequence.cancelled = sequence.cancelled or sequence.finish_reason is None

    async def complete(self, prompt_ids: list[int], params: DecodingParams) -> Generation:
        """The whole generation at once."""
        pieces: list[str] = []
        async for delta in self.stream(prompt_ids, params):
            pieces.append(delta.text)
            if delta.finish_reason is not None:
                return Generation(
                    text="".join(pieces),
                    finish_reason=delta.finish_reason,
                    usage=delta.usage or Usage(),
                    stop_sequence=delta.stop_sequence,
                )
        raise AssertionError("a stream always ends with a finish reason")  # pragma: no cover

    def _sequence(
        self, running: _Running, prompt_ids: list[int], params: DecodingParams, *, constraint: Constraint | None
    ) -> Sequence:
        if not prompt_ids:  # vLLM's rule: "The decoder prompt cannot be empty"; no engine prefills nothing
            raise EmptyInputError(
                ["The prompt has no tokens (an empty text, and the model's tokenizer adds none); give a prompt"],
                param="prompt",
            )
        room = self._room(running.lm, len(prompt_ids))
        if room < params.max_new_tokens:
            params = _with_max_new_tokens(params, room)
        sampler = Sampler(params, constraint=constraint)
        return Sequence(
            prompt_ids=prompt_ids,
            params=params,
            detokenizer=IncrementalDetokenizer(running.lm.tokenizer),
            pick=sampler.pick,
            scores=lambda: sampler.last,
            complete=constraint.complete if constraint is not None else None,
            eos_ids=running.lm.eos_ids,
            penalize_prompt=running.penalize_prompt,
        )

    @staticmethod
    def _room(lm: LanguageModel, prompt_tokens: int) -> int:
        """New tokens the context still holds after the prompt."""
        limit = lm.max_positions
        if limit is None or lm.task == "text2text-generation":
            return 1 << 30
        if prompt_tokens >= limit:
            raise BadRequestError(
                f"The prompt is [{prompt_tokens}] tokens long; the model reads at most [{limit}] tokens, "
                "prompt and answer together. Shorten the input"
            )
        return limit - prompt_tokens


@dataclass(frozen=True, slots=True)
class _Running:
    """One engine serving: the model, its grammar compiler and its decode batch's scheduler."""

    lm: LanguageModel
    grammars: GrammarCompiler
    scheduler: Scheduler
    penalize_prompt: bool

    @classmethod
    def start(cls, lm: LanguageModel, *, compute: Compute, max_batch_size: int) -> _Running:
        batch = lm.make_batch()
        name = str(getattr(lm.tokenizer, "name_or_path", "") or "")
        scheduler = Scheduler(batch, compute=compute, max_batch_size=max_batch_size, name=name)
        return cls(lm, GrammarCompiler(lm.tokenizer), scheduler, batch.penalize_prompt)


def _with_max_new_tokens(params: DecodingParams, value: int) -> DecodingParams:
    return replace(params, max_new_tokens=value)
