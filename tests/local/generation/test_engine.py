"""The generation engine on a tiny random Llama: batching is exact, finish reasons, stops, cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import torch

from hfgate.chat.messages import ChatMessage
from hfgate.local.cache import Compute
from hfgate.local.generation.engine import TextGenerator
from hfgate.local.generation.loading import LanguageModel, load_language_model
from hfgate.local.generation.params import DecodingParams
from hfgate.tasks import GenerationDelta
from tests.local.generation.conftest import running_generator
from tests.support.waiting import until

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`

PROMPTS = ["the quick brown fox", "a model turns", "summarize : hfgate puts models behind one api", "the"]


@pytest.fixture(scope="module")
def tiny_llama(tiny_llama_dir: Path) -> LanguageModel:
    return load_language_model(tiny_llama_dir, task="text-generation", dtype="float32")


@pytest.fixture
async def generator(tiny_llama: LanguageModel) -> AsyncIterator[TextGenerator]:
    async with running_generator(tiny_llama) as engine:
        yield engine


def reference_greedy(lm: LanguageModel, prompt_ids: list[int], new_tokens: int) -> list[int]:
    ids = torch.tensor([prompt_ids])
    out = lm.model.generate(
        ids, attention_mask=torch.ones_like(ids), max_new_tokens=new_tokens, min_new_tokens=new_tokens,
        do_sample=False, eos_token_id=None, pad_token_id=0,
    )  # fmt: skip
    return [int(t) for t in out[0, len(prompt_ids) :]]


async def token_ids(stream: AsyncIterator[GenerationDelta]) -> tuple[list[int], GenerationDelta]:
    ids: list[int] = []
    async for delta in stream:
        ids.append(delta.token_id or 0)
    return ids, delta


async def test_greedy_streams_joining_a_running_batch_equal_transformers_generate_alone(
    generator: TextGenerator, tiny_llama: LanguageModel
) -> None:
    tiny_llama.eos_ids = frozenset()  # random weights: decode the full length to compare every token
    params = DecodingParams(max_new_tokens=12)
    prompts = [generator.encode_prompt(p) for p in PROMPTS]
    try:
        streams, firsts = [], []
        for prompt in prompts:  # each joins once the earlier ones are decoding; the 4th waits for a row
            streams.append(generator.stream(prompt, params))
            firsts.append(asyncio.ensure_future(anext(streams[-1])))
            await asyncio.sleep(0)
            if len(streams) < 3:
                await firsts[-1]
        heads = [await f for f in firsts]
        rests = await asyncio.gather(*(token_ids(s) for s in streams))
    finally:
        tiny_llama.eos_ids = frozenset({1})
    for prompt, head, (rest, last) in zip(prompts, heads, rests, strict=True):
        assert [head.token_id, *rest] == reference_greedy(tiny_llama, prompt, 12)
        assert last.finish_reason == "length"


async def test_requests_arriving_together_share_one_prefill_pass_and_stay_exact(
    tiny_llama: LanguageModel,
) -> None:
    """Prompts of different lengths, left-padded into one prefill: each still equals transformers alone."""
    compute = Compute()
    engine = TextGenerator(tiny_llama, compute=compute, max_batch_size=4)
    passes: list[int] = []
    model_forward = tiny_llama.model.forward

    def counting_forward(*args: object, **kwargs: object) -> object:
        ids = kwargs["input_ids"]
        assert isinstance(ids, torch.Tensor)
        if ids.shape[1] > 1:  # a prefill (a decoding step feeds one token per row)
            passes.append(ids.shape[0])
        return model_forward(*args, **kwargs)

    tiny_llama.eos_ids = frozenset()
    tiny_llama.model.forward = counting_forward
    try:
        prompts = [engine.encode_prompt(p) for p in PROMPTS]
        params = DecodingParams(max_new_tokens=8)
        results = await asyncio.gather(*(token_ids(engine.stream(p, params)) for p in prompts))
    finally:
        del tiny_llama.model.forward
        tiny_llama.eos_ids = frozenset({1})
        await engine.aclose()
        compute.close()
    assert passes == [4], "the four prompts were read in one forward pass"
    for prompt, (tokens, _) in zip(prompts, results, strict=True):
        assert tokens == reference_greedy(tiny_llama, prompt, 8)


async def test_generation_reports_length_and_usage_from_the_models_tokenizer(generator: TextGenerator) -> None:
    prompt = generator.encode_prompt("the quick brown fox")
    result = await generator.complete(prompt, DecodingParams(max_new_tokens=3))
    if result.finish_reason == "length":
        assert result.usage.completion_tokens == 3
    assert result.usage.prompt_tokens == len(prompt) == 4


async def test_eos_token_ends_generation_with_reason_eos_token(
    generator: TextGenerator, tiny_llama: LanguageModel
) -> None:
    prompt = generator.encode_prompt("the quick brown fox")
    first = reference_greedy(tiny_llama, prompt, 2)
    saved, tiny_llama.eos_ids = tiny_llama.eos_ids, frozenset({first[1]})
    try:
        result = await generator.complete(prompt, DecodingParams(max_new_tokens=10))
    finally:
        tiny_llama.eos_ids = saved
    assert result.finish_reason == "eos_token"
    assert result.usage.completion_tokens == 2


async def test_stop_string_ends_generation_and_never_appears_in_output(
    generator: TextGenerator, tiny_llama: LanguageModel
) -> None:
    prompt = generator.encode_prompt("a model turns")
    tokens = reference_greedy(tiny_llama, prompt, 6)
    words = [tiny_llama.tokenizer.decode([t]) for t in tokens]
    stop = words[3]
    result = await generator.complete(prompt, DecodingParams(max_new_tokens=6, stop=(stop,)))
    assert result.finish_reason == "stop_sequence"
    assert stop not in result.text
    full = tiny_llama.tokenizer.decode(tokens, skip_special_tokens=True)
    assert full.startswith(result.text)


async def test_seeded_sampling_repeats_and_differs_across_seeds(generator: TextGenerator) -> None:
    prompt = generator.encode_prompt("the")

    async def sample(seed: int) -> str:
        params = DecodingParams(max_new_tokens=8, do_sample=True, temperature=5.0, seed=seed)
        return (await generator.complete(prompt, params)).text

    first, again = await asyncio.gather(sample(1), sample(1))
    assert first == again
    assert {await sample(s) for s in range(2, 6)} != {first}


async def test_closing_a_stream_early_takes_it_out_of_the_batch_while_others_finish(
    generator: TextGenerator,
) -> None:
    prompt = generator.encode_prompt("the quick brown fox")
    long = DecodingParams(max_new_tokens=200)
    other = asyncio.ensure_future(generator.complete(prompt, DecodingParams(max_new_tokens=20)))
    stream = generator.stream(prompt, long)
    await anext(stream)
    await stream.aclose()
    await other
    await until(lambda: generator.active == 0, within=5, what="every row out of the batch")


async def test_cancelled_consumer_task_stops_its_generation(generator: TextGenerator) -> None:
    prompt = generator.encode_prompt("the quick brown fox")
    task = asyncio.ensure_future(generator.complete(prompt, DecodingParams(max_new_tokens=200)))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await until(lambda: generator.active == 0, within=5, what="every row out of the batch")


async def test_chat_uses_the_models_chat_template(generator: TextGenerator) -> None:
    ids = generator.encode_chat([ChatMessage(role="user", content="the house is small")])
    rendered = generator.lm.tokenizer.decode(ids)
    assert rendered == "user : the house is small [SEP] assistant :"
