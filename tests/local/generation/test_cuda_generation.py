"""On a CUDA GPU: in-process generation (the transformers engine, without vLLM) on the real SmolLM2-135M.
Greedy output in float32 equals transformers' own ``generate`` on the same GPU, requests batched
together; bfloat16 and float16 stay close to float32 and ``auto`` measures the three there, keeping the
fastest within ``min_cosine`` and filing the choice under the GPU; the service places the model on the
GPU and shows it. Every test here skips, saying why, where torch sees no CUDA device. SmolLM2's GGUF is
converted once for the module (unless ``hfgate prepare`` did it at install time)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import torch

from hfgate.config import Settings
from hfgate.local.cache import Compute
from hfgate.local.catalog import resolve_model
from hfgate.local.generation.engine import TextGenerator
from hfgate.local.generation.engine_choice import choose_engine
from hfgate.local.generation.engine_measure_worker import encode_prompts, logits_trace
from hfgate.local.generation.gguf_cache import ensure_converted
from hfgate.local.generation.loading import LanguageModel, load_language_model
from hfgate.local.generation.params import DecodingParams
from hfgate.local.machine import machine_of
from hfgate.local.measuring.fidelity import worst_cosine
from hfgate.process.runtime import new_context
from hfgate.registry.endpoint import Endpoint
from hfgate.services.local import LocalService
from hfgate.tasks import GenerateRequest, GenerationParams, TaskType

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not torch.cuda.is_available(),
        reason="needs a CUDA GPU that torch sees: torch.cuda.is_available() is False on this machine",
    ),
]

# The packaged SmolLM2 (a GGUF converted once); or, where its 94 MiB package cannot be carried to the GPU
# machine, a transformers directory of the same architecture (bench/gpu/prepare.py writes one).
SMOLLM2 = os.environ.get("HFGATE_TEST_CUDA_LLM") or "HuggingFaceTB/SmolLM2-135M-Instruct"
PROMPTS = ["The capital of France is", "def fibonacci(n):\n    ", "Once upon a time,", "Q: Who wrote Hamlet?\nA:"]
NEW_TOKENS = 16
ON_GPU = {"transformers-fp32", "transformers-bf16", "transformers-fp16"}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def converted(data_dir: Path) -> Path:
    """SmolLM2 in transformers' format, where the service below finds it too."""
    if Path(SMOLLM2).is_dir():
        return Path(SMOLLM2)
    return ensure_converted(resolve_model(SMOLLM2), models_dir=data_dir / "models")


@pytest.fixture(scope="module")
def float32_on_gpu(converted: Path) -> LanguageModel:
    return load_language_model(converted, task="text-generation", dtype="float32", device="cuda")


def generate_alone(lm: LanguageModel, prompt: list[int]) -> list[int]:
    ids = torch.tensor([prompt], device="cuda")
    out = lm.model.generate(
        ids, attention_mask=torch.ones_like(ids), max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
        do_sample=False, eos_token_id=None, pad_token_id=0,
    )  # fmt: skip
    return [int(t) for t in out[0, len(prompt) :]]


async def test_float32_greedy_output_on_the_gpu_equals_transformers_generate_there(
    float32_on_gpu: LanguageModel,
) -> None:
    lm = float32_on_gpu
    assert next(lm.model.parameters()).device.type == "cuda"
    eos, lm.eos_ids = lm.eos_ids, frozenset()  # decode the full length to compare every token
    compute = Compute()
    generator = TextGenerator(lm, compute=compute, max_batch_size=4)
    prompts = [generator.encode_prompt(text) for text in PROMPTS]
    params = DecodingParams(max_new_tokens=NEW_TOKENS)

    async def tokens(prompt: list[int]) -> list[int]:
        return [delta.token_id or 0 async for delta in generator.stream(prompt, params)]

    try:
        together = await asyncio.gather(*(tokens(p) for p in prompts))  # one batch on the GPU
    finally:
        lm.eos_ids = eos
        await generator.aclose()
        compute.close()
    assert together == [generate_alone(lm, p) for p in prompts]


async def test_the_prompt_s_log_probabilities_are_computed_on_the_gpu(float32_on_gpu: LanguageModel) -> None:
    compute = Compute()
    generator = TextGenerator(float32_on_gpu, compute=compute)
    prompt = generator.encode_prompt(PROMPTS[0])
    try:
        first = await anext(generator.stream(prompt, DecodingParams(max_new_tokens=1, prefill=True)))
    finally:
        await generator.aclose()
        compute.close()
    assert [token.id for token in first.prefill] == prompt
    assert first.prefill[0].logprob is None
    assert all(token.logprob is not None and token.logprob <= 0 for token in first.prefill[1:])


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_half_precision_on_the_gpu_stays_close_to_float32_there(
    dtype: str, converted: Path, float32_on_gpu: LanguageModel
) -> None:
    prompts = encode_prompts(float32_on_gpu)
    want, fed = logits_trace(float32_on_gpu, prompts, None)
    half = load_language_model(converted, task="text-generation", dtype=dtype, device="cuda")
    got, _ = logits_trace(half, prompts, fed)
    # On the CPU SmolLM2 in bfloat16 measured 0.992347 against float32 (below the default min_cosine
    # 0.9999, so auto keeps float32 unless an endpoint lowers it); on a GPU it should be no further off.
    assert worst_cosine(got, want) >= 0.99


def test_auto_measures_transformers_precisions_on_the_gpu_and_files_the_choice_under_it(
    converted: Path, tmp_path: Path
) -> None:
    gpu = machine_of("cuda")
    choice = choose_engine(
        converted, task="text-generation", cache_dir=tmp_path, choices_dir=tmp_path / "choices", attempts=1,
        device="cuda",
    )  # fmt: skip
    assert {figure.engine for figure in choice.figures} == ON_GPU
    assert [figure.engine for figure in choice.figures if figure.error] == []
    qualified = [figure for figure in choice.figures if figure.meets(choice.min_cosine)]
    assert choice.engine == max(qualified, key=lambda figure: figure.speed or 0.0).engine
    assert choice.cpu == gpu.describe()
    (record,) = (tmp_path / "choices").iterdir()
    assert record.name.endswith(f"-{gpu.key}.json")


async def test_the_service_places_a_transformers_model_on_the_gpu_and_shows_it(data_dir: Path, converted: Path) -> None:
    settings = Settings(data_dir=data_dir, provision_defaults=False, log_format="text", local_device="cuda")
    context = new_context(settings)
    service = LocalService(context)
    settings_of = {"model": SMOLLM2, "task": "text-generation", "engine": "transformers", "dtype": "float32"}
    smol = Endpoint(inference_id="smol", task_type=TaskType.COMPLETION, service="local", service_settings=settings_of)
    try:
        checked = await service.check(smol, timeout=300)
        request = GenerateRequest(prompt=PROMPTS[0], params=GenerationParams(max_new_tokens=4))
        generation = await service.open(checked).generate(request)
        observed = service.observed(checked)
    finally:
        await service.aclose()
        context.close()
    assert generation.usage.completion_tokens == 4
    assert observed["device"] == "cuda"
    assert (
        checked.service_settings["engine_choice"] == f"transformers (float32), set on {machine_of('cuda').describe()}"
    )
