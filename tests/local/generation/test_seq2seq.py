"""text2text-generation with a tiny encoder-decoder built offline: text, finish reason and usage."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfgate.local.cache import Compute
from hfgate.local.catalog import resolve_model
from hfgate.local.generation.architecture import detect_task
from hfgate.local.generation.engine import TextGenerator
from hfgate.local.generation.loading import load_language_model
from hfgate.local.generation.params import DecodingParams

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`


def test_an_encoder_decoder_directory_is_detected_as_text2text(tiny_t5_dir: Path, tiny_llama_dir: Path) -> None:
    assert detect_task(resolve_model(str(tiny_t5_dir))) == "text2text-generation"
    assert detect_task(resolve_model(str(tiny_llama_dir))) == "text-generation"


async def test_seq2seq_generation_streams_text_with_finish_reason_and_usage(tiny_t5_dir: Path) -> None:
    lm = load_language_model(tiny_t5_dir, task="text2text-generation", dtype="float32")
    compute = Compute()
    generator = TextGenerator(lm, compute=compute)
    try:
        prompt = generator.encode_prompt("translate english to german : the house is small")
        both = [generator.complete(prompt, DecodingParams(max_new_tokens=n)) for n in (4, 6)]
        short, longer = [await g for g in both]
    finally:
        await generator.aclose()
        compute.close()
    for result, n in ((short, 4), (longer, 6)):
        assert isinstance(result.text, str)
        assert result.finish_reason in ("length", "eos_token")
        assert result.usage.prompt_tokens == len(prompt)
        assert 1 <= result.usage.completion_tokens <= n
    assert longer.text.startswith(short.text)
