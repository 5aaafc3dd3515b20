"""A batch step that raises: every request in it is answered, the others exactly, nothing is left pending.

On the tiny Llama and its real transformers decode batch (``CausalBatch``). The failures are real: a
prompt holding a token id the model does not have (its embedding lookup raises), or a small subclass of
``CausalBatch`` that cannot read one token, or that is broken for a while.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch
from prometheus_client import REGISTRY

from hfgate.errors import EmptyInputError, LocalEngineError, ModelInputError
from hfgate.local.generation.causal_batch import CausalBatch
from hfgate.local.generation.engine import TextGenerator
from hfgate.local.generation.loading import LanguageModel, load_language_model
from hfgate.local.generation.params import DecodingParams
from tests.local.generation.conftest import running_generator
from tests.local.generation.test_engine import PROMPTS, reference_greedy

pytestmark = pytest.mark.slow  # loads a real model: not in `make check`

NEW_TOKENS = 6
PARAMS = DecodingParams(max_new_tokens=NEW_TOKENS)


@pytest.fixture(scope="module")
def tiny_llama(tiny_llama_dir: Path) -> LanguageModel:
    lm = load_language_model(tiny_llama_dir, task="text-generation", dtype="float32")
    lm.eos_ids = frozenset()  # random weights: decode the full length, every token compared
    return lm


class Unreadable(CausalBatch):
    """A transformers batch that cannot read one token id, in a prompt or fed to a step."""

    token = -1

    def prefill(self, prompts: list[list[int]]) -> torch.Tensor:
        if any(self.token in prompt for prompt in prompts):
            raise ValueError(f"token [{self.token}] cannot be read")
        return super().prefill(prompts)

    def step(self, tokens: list[int]) -> torch.Tensor:
        if self.token in tokens:
            raise ValueError(f"token [{self.token}] cannot be read")
        return super().step(tokens)


class Broken(CausalBatch):
    """A transformers batch whose every step raises while ``broken`` is set: the engine is at fault."""

    broken = False

    def prefill(self, prompts: list[list[int]]) -> torch.Tensor:
        if Broken.broken:
            raise RuntimeError("the engine lost its weights")
        return super().prefill(prompts)

    def step(self, tokens: list[int]) -> torch.Tensor:
        if Broken.broken:
            raise RuntimeError("the engine lost its weights")
        return super().step(tokens)


@pytest.fixture
async def generator(tiny_llama: LanguageModel) -> AsyncIterator[TextGenerator]:
    async with running_generator(tiny_llama, max_batch_size=4) as engine:
        yield engine


async def answer(stream: AsyncIterator[Any]) -> list[int] | BaseException:
    """The stream's token ids, or the error that ended it (exactly one end either way)."""
    ids: list[int] = []
    try:
        async for delta in stream:
            ids.append(delta.token_id)
            if delta.finish_reason is not None:
                return ids
    except Exception as exc:
        return exc
    raise AssertionError("a stream ended with neither a finish reason nor an error")


def failures(lm: LanguageModel, blame: str) -> float:
    labels = {"model": str(lm.tokenizer.name_or_path), "blame": blame}
    return REGISTRY.get_sample_value("hfgate_local_step_failures_total", labels) or 0.0


async def test_an_unreadable_prompt_sharing_a_prefill_is_refused_and_the_others_answered_exactly(
    generator: TextGenerator, tiny_llama: LanguageModel
) -> None:
    good = [generator.encode_prompt(p) for p in PROMPTS[:2]]
    unreadable = [*good[0][:2], len(tiny_llama.tokenizer) + 1000]  # no such token: the embedding lookup raises
    before = failures(tiny_llama, "input")
    first, bad, second = await asyncio.gather(
        *(answer(generator.stream(p, PARAMS)) for p in (good[0], unreadable, good[1]))
    )
    assert isinstance(bad, ModelInputError)
    assert bad.status == 400
    assert "transformers" in bad.reason
    assert "index out of range" in bad.reason
    assert first == reference_greedy(tiny_llama, good[0], NEW_TOKENS)
    assert second == reference_greedy(tiny_llama, good[1], NEW_TOKENS)
    assert generator.active == 0, "nothing left waiting"
    assert failures(tiny_llama, "input") == before + 1


async def test_an_unreadable_prompt_alone_is_refused_the_probe_shows_the_engine_is_fine(
    generator: TextGenerator, tiny_llama: LanguageModel
) -> None:
    bad = await answer(generator.stream([len(tiny_llama.tokenizer) + 1], PARAMS))
    assert isinstance(bad, ModelInputError)
    prompt = generator.encode_prompt(PROMPTS[0])
    assert await answer(generator.stream(prompt, PARAMS)) == reference_greedy(tiny_llama, prompt, NEW_TOKENS)
    assert generator.active == 0


async def test_a_failed_decode_step_is_retried_row_by_row_and_only_the_row_at_fault_is_refused(
    tiny_llama: LanguageModel,
) -> None:
    prompts = [tiny_llama.tokenizer(p)["input_ids"] for p in PROMPTS]
    expected = [reference_greedy(tiny_llama, p, NEW_TOKENS) for p in prompts]
    # The token the last prompt picks first: fed to the next step, it fails there (not in any prefill).
    Unreadable.token = expected[-1][0]
    clean = [i for i, tokens in enumerate(expected[:-1]) if Unreadable.token not in [*prompts[i], *tokens]]
    assert clean, "a prompt that never meets the unreadable token"
    lm = replace(tiny_llama, make_batch=lambda: Unreadable(tiny_llama.model))
    async with running_generator(lm, max_batch_size=4) as generator:
        answers = await asyncio.gather(*(answer(generator.stream(prompts[i], PARAMS)) for i in [*clean, -1]))
        assert generator.active == 0
    *others, bad = answers
    assert isinstance(bad, ModelInputError)
    assert others == [expected[i] for i in clean]


async def test_a_broken_engine_answers_every_request_in_flight_with_a_500_naming_it_and_then_recovers(
    tiny_llama: LanguageModel,
) -> None:
    lm = replace(tiny_llama, make_batch=lambda: Broken(tiny_llama.model))
    prompts = [tiny_llama.tokenizer(p)["input_ids"] for p in PROMPTS[:2]]
    before = failures(tiny_llama, "engine")
    async with running_generator(lm, max_batch_size=4) as generator:
        streams = [generator.stream(p, PARAMS) for p in prompts]
        await asyncio.gather(*(anext(s) for s in streams))  # both are decoding
        Broken.broken = True
        try:
            ends = await asyncio.gather(*(answer(s) for s in streams))
            late = await answer(generator.stream(prompts[0], PARAMS))  # arrives while broken
        finally:
            Broken.broken = False
        for end in [*ends, late]:
            assert isinstance(end, LocalEngineError)
            assert end.status == 500
            assert "[transformers] engine failed" in end.reason
        assert generator.active == 0
        again = await answer(generator.stream(prompts[0], PARAMS))
    assert again == reference_greedy(tiny_llama, prompts[0], NEW_TOKENS), "the scheduler went on"
    assert failures(tiny_llama, "engine") == before + 3


async def test_a_prompt_of_no_tokens_is_refused_before_it_reaches_the_batch(generator: TextGenerator) -> None:
    with pytest.raises(EmptyInputError) as caught:
        await anext(generator.stream([], PARAMS))
    assert caught.value.param == "prompt"
    assert generator.active == 0
