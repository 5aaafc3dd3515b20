"""The ONNX Runtime engine on the real SmolLM2 (exported once per session): fp32 greedy output equals
transformers fp32 token for token, with requests joining, leaving and being cancelled mid-batch, and
with the KV cache growing past its capacity.

Skipped when onnxruntime-genai (part of the ``local`` extra, the exporter) is not installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
import torch
import transformers

from hfgate.chat.messages import ChatMessage
from hfgate.local.catalog import resolve_model
from hfgate.local.generation.engine import TextGenerator
from hfgate.local.generation.gguf_cache import ensure_converted
from hfgate.local.generation.loading import LanguageModel, load_onnx_model
from hfgate.local.generation.onnx_batch import OnnxBatch
from hfgate.local.generation.params import DecodingParams
from hfgate.services import ServiceContext
from hfgate.tasks import GenerationDelta
from tests.local.generation.conftest import running_generator
from tests.support.waiting import until

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`

pytest.importorskip("onnxruntime_genai")

QUESTIONS = ["What is the capital of France?", "Write a haiku about the sea.", "Who wrote Hamlet?",
             "Describe a cat to someone who has never seen one."]  # fmt: skip
NEW_TOKENS = 24


@pytest.fixture(scope="module")
def converted(shared_context: ServiceContext) -> Path:
    """In the session's data directory: its ONNX exports are the ones the service tests load."""
    models = shared_context.settings.data_dir / "models"
    return ensure_converted(resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct"), models_dir=models)


@pytest.fixture(scope="module")
def onnx_fp32(converted: Path) -> LanguageModel:
    return load_onnx_model(converted, precision="fp32", cache_dir=converted.parent)


@pytest.fixture
async def generator(onnx_fp32: LanguageModel) -> AsyncIterator[TextGenerator]:
    async with running_generator(onnx_fp32) as engine:
        yield engine


def transformers_greedy(converted: Path, prompts: list[list[int]], new_tokens: int) -> list[list[int]]:
    """transformers fp32 ``generate`` on each prompt alone, up to and with its end-of-sequence token."""
    model = transformers.AutoModelForCausalLM.from_pretrained(converted, dtype=torch.float32).eval()
    with torch.inference_mode():
        outs = [model.generate(torch.tensor([p]), max_new_tokens=new_tokens, do_sample=False) for p in prompts]
    return [out[0, len(p) :].tolist() for p, out in zip(prompts, outs, strict=True)]


async def token_ids(stream: AsyncIterator[GenerationDelta]) -> list[int]:
    return [int(delta.token_id or 0) async for delta in stream]


async def test_onnx_fp32_greedy_streams_joining_a_running_batch_equal_transformers_fp32_alone(
    generator: TextGenerator, converted: Path
) -> None:
    prompts = [generator.encode_chat([ChatMessage(role="user", content=q)]) for q in QUESTIONS]
    params = DecodingParams(max_new_tokens=NEW_TOKENS)
    streams, firsts = [], []
    for prompt in prompts:  # each joins once the earlier ones decode; the 4th waits for a row to free
        streams.append(generator.stream(prompt, params))
        firsts.append(asyncio.ensure_future(anext(streams[-1])))
        await asyncio.sleep(0)
        if len(streams) < 3:
            await firsts[-1]
    heads = [await f for f in firsts]
    rests = await asyncio.gather(*(token_ids(s) for s in streams))
    got = [[int(head.token_id or 0), *rest] for head, rest in zip(heads, rests, strict=True)]
    assert got == transformers_greedy(converted, prompts, NEW_TOKENS)


async def test_onnx_prompts_arriving_together_are_prefilled_together_and_equal_each_one_alone(
    generator: TextGenerator,
) -> None:
    prompts = [generator.encode_prompt(p) for p in ("Once upon a time", "The sky is blue because", "Python")]
    params = DecodingParams(max_new_tokens=8)
    alone = [(await generator.complete(p, params)).text for p in prompts]
    together = await asyncio.gather(*(generator.complete(p, params) for p in prompts))
    assert [g.text for g in together] == alone


async def test_onnx_stream_closed_early_leaves_the_batch_and_the_others_are_unchanged(
    generator: TextGenerator,
) -> None:
    prompts = [generator.encode_prompt(p) for p in ("Once upon a time", "The sky is blue because")]
    params = DecodingParams(max_new_tokens=12)
    alone = (await generator.complete(prompts[1], params)).text
    stream = generator.stream(prompts[0], DecodingParams(max_new_tokens=200))
    await anext(stream)
    other = asyncio.ensure_future(generator.complete(prompts[1], params))
    await anext(stream)
    await stream.aclose()  # the client went away: its row leaves while the other decodes
    assert (await other).text == alone
    await until(lambda: generator.active == 0, within=5, what="every row out of the batch")


async def test_onnx_kv_cache_growing_past_its_capacity_while_rows_join_and_leave_keeps_greedy_equal_transformers(
    onnx_fp32: LanguageModel, converted: Path
) -> None:
    decoder = onnx_fp32.model
    small = replace(onnx_fp32, make_batch=lambda: OnnxBatch(decoder, chunk=8))  # grows every 8 positions
    async with running_generator(small) as generator:
        prompts = [generator.encode_chat([ChatMessage(role="user", content=q)]) for q in QUESTIONS[:3]]
        lengths = (NEW_TOKENS, 5, NEW_TOKENS)  # the second leaves early: the cache is trimmed under the others
        streams = [generator.stream(p, DecodingParams(max_new_tokens=n)) for p, n in zip(prompts, lengths, strict=True)]
        first = await anext(streams[0])
        got = await asyncio.gather(*(token_ids(s) for s in streams))
    got[0].insert(0, int(first.token_id or 0))
    want = [t[:n] for t, n in zip(transformers_greedy(converted, prompts, NEW_TOKENS), lengths, strict=True)]
    assert got == want
