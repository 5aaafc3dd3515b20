"""The optional llama.cpp engine on the real SmolLM2 GGUF: batched streams, finish reasons, usage.

Skipped when llama-cpp-python (the ``llama-cpp`` extra) is not installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hfgate.chat.messages import ChatMessage
from hfgate.local.cache import Compute
from hfgate.local.catalog import resolve_model
from hfgate.local.generation.engine import TextGenerator
from hfgate.local.generation.gguf_cache import ensure_converted
from hfgate.local.generation.loading import load_llama_cpp_model
from hfgate.local.generation.params import DecodingParams
from hfgate.services import ServiceContext

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`

pytest.importorskip("llama_cpp")


@pytest.fixture
async def generator(shared_context: ServiceContext) -> AsyncIterator[TextGenerator]:
    location = resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct")
    converted = ensure_converted(location, models_dir=shared_context.settings.data_dir / "models")
    assert location.gguf_file is not None
    lm = load_llama_cpp_model(location.path / location.gguf_file, tokenizer_path=converted, max_rows=4)
    compute = Compute()
    engine = TextGenerator(lm, compute=compute)
    try:
        yield engine
    finally:
        await engine.aclose()
        compute.close()


async def test_llama_cpp_engine_answers_a_chat_with_finish_reason_and_usage(generator: TextGenerator) -> None:
    # No comparison with transformers: llama.cpp computes on the Q4_1 weights (and its greedy pick can
    # change with the KV-cache layout on near-ties), so its text is its own.
    prompt = generator.encode_chat([ChatMessage(role="user", content="What is the capital of France?")])
    answer = await generator.complete(prompt, DecodingParams(max_new_tokens=8))
    assert answer.text.strip()
    assert answer.finish_reason == "length"
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (len(prompt), 8)


async def test_llama_cpp_concurrent_greedy_streams_match_each_one_alone(generator: TextGenerator) -> None:
    prompts = [generator.encode_prompt(p) for p in ("Once upon a time", "The sky is", "Python is a")]
    params = DecodingParams(max_new_tokens=6)
    alone = [(await generator.complete(p, params)).text for p in prompts]
    together = await asyncio.gather(*(generator.complete(p, params) for p in prompts))
    assert [g.text for g in together] == alone
    assert {g.finish_reason for g in together} == {"length"}
