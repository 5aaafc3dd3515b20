"""A loaded generation model behind one interface: prompts in, tokens and text out."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from collections.abc import Sequence as Seq
from dataclasses import replace

from hfgate.errors import BadRequestError
from hfgate.local.compute import Compute
from hfgate.local.generation.chat_template import render_chat
from hfgate.local.generation.detokenizer import IncrementalDetokenizer
from hfgate.local.generation.guided import Constraint, GrammarCompiler
from hfgate.local.generation.loading import LanguageModel
from hfgate.local.generation.params import DecodingParams
from hfgate.local.generation.prefill import prompt_tokens
from hfgate.local.generation.sampling import Sampler
from hfgate.local.generation.scheduler import Scheduler
from hfgate.local.generation.sequence import Sequence
from hfgate.tasks import ChatMessage, Generation, GenerationDelta, Tool, Usage

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

    def __init__(self, lm: LanguageModel, *, compute: Compute, max_batch_size: int = MAX_BATCH_SIZE) -> None:
        self.lm = lm
        self._compute = compute
        self._grammars = GrammarCompiler(lm.tokenizer)
        batch = lm.make_batch()
        self._penalize_prompt = batch.penalize_prompt
        self._scheduler = Scheduler(batch, compute=compute, max_batch_size=max_batch_size)

    @property
    def active(self) -> int:
        """Requests decoding or waiting for a row of the batch."""
        return self._scheduler.active

    @property
    def memory_bytes(self) -> int:
        return self.lm.memory_bytes

    def close(self) -> None:
        """Nothing to release eagerly: requests in flight keep the model until they finish; the
        model's memory goes when the last reference does."""

    async def aclose(self) -> None:
        await self._scheduler.aclose()

    def encode_prompt(self, prompt: str) -> list[int]:
        """Token ids of a plain prompt, with the special tokens the tokenizer adds."""
        ids: list[int] = self.lm.tokenizer(prompt)["input_ids"]
        return ids

    def encode_chat(self, messages: Seq[ChatMessage], *, tools: Seq[Tool] = ()) -> list[int]:
        """Token ids of a conversation (and the ``tools`` it may call) rendered with the model's chat template.

        Raises:
            BadRequestError: the model has no chat template.
        """
        text = render_chat(self.lm.tokenizer, messages, tools=tools)
        ids: list[int] = self.lm.tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids

    async def stream(self, prompt_ids: list[int], params: DecodingParams) -> AsyncGenerator[GenerationDelta, None]:
        """Deltas as tokens are decoded; the last carries ``finish_reason`` and ``usage``.

        Closing the iterator early (the client went away) takes the request out of the batch.

        Raises:
            BadRequestError: the prompt leaves no room in the model's context for an answer.
        """
        constraint = await self._compute.run(self._grammars.constraint, params.grammar) if params.grammar else None
        sequence = self._sequence(prompt_ids, params, constraint=constraint)
        prefill = await self._compute.run(prompt_tokens, self.lm, prompt_ids) if params.prefill else ()
        self._scheduler.submit(sequence)
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
                return Generation(text="".join(pieces), finish_reason=delta.finish_reason, usage=delta.usage or Usage())
        raise AssertionError("a stream always ends with a finish reason")  # pragma: no cover

    def _sequence(self, prompt_ids: list[int], params: DecodingParams, *, constraint: Constraint | None) -> Sequence:
        room = self._room(len(prompt_ids))
        if room < params.max_new_tokens:
            params = _with_max_new_tokens(params, room)
        sampler = Sampler(params, constraint=constraint)
        return Sequence(
            prompt_ids=prompt_ids,
            params=params,
            detokenizer=IncrementalDetokenizer(self.lm.tokenizer),
            pick=sampler.pick,
            scores=lambda: sampler.last,
            eos_ids=self.lm.eos_ids,
            penalize_prompt=self._penalize_prompt,
        )

    def _room(self, prompt_tokens: int) -> int:
        """New tokens the context still holds after the prompt."""
        limit = self.lm.max_positions
        if limit is None or self.lm.task == "text2text-generation":
            return 1 << 30
        if prompt_tokens >= limit:
            raise BadRequestError(
                f"The prompt is [{prompt_tokens}] tokens long; the model reads at most [{limit}] tokens, "
                "prompt and answer together. Shorten the input"
            )
        return limit - prompt_tokens


def _with_max_new_tokens(params: DecodingParams, value: int) -> DecodingParams:
    return replace(params, max_new_tokens=value)
