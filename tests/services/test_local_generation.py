"""The ``local`` service generating with the real SmolLM2-135M-Instruct (GGUF) and a tiny seq2seq model.

Models load once per session through the shared context, as the app loads them; few tokens per test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import torch
import transformers

from hfgate.chat.messages import ChatMessage
from hfgate.errors import BadRequestError
from hfgate.local.catalog import resolve_model
from hfgate.local.cpu import read_cpu
from hfgate.local.device import resolve_device
from hfgate.local.generation.engine_choice import CANDIDATES
from hfgate.local.generation.gguf_cache import ensure_converted
from hfgate.local.machine import machine_of
from hfgate.registry.endpoint import Endpoint
from hfgate.services import ServiceContext
from hfgate.services.local import LocalService
from hfgate.tasks import ChatRequest, EmbedRequest, GenerateRequest, GenerationParams, TaskType
from tests.local.generation.tiny_models import save_tiny_t5

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`

SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"
QUESTION = (ChatMessage(role="user", content="What is the capital of France?"),)


def where_models_run() -> str:
    """The machine the transformers engine runs on here: the first GPU where torch sees one, else this CPU."""
    return machine_of(resolve_device("auto")).describe()


def endpoint(task_type: TaskType, **settings: object) -> Endpoint:
    """SmolLM2 on the transformers engine (bfloat16 unless ``dtype`` says), or on ``engine``."""
    service_settings = {"model": SMOLLM2, "task": "text-generation", "engine": "transformers", **settings}
    return Endpoint(inference_id="smol", task_type=task_type, service="local", service_settings=service_settings)


@pytest.fixture(scope="module")
def service(shared_context: ServiceContext) -> LocalService:
    return LocalService(shared_context)


@pytest.fixture(scope="module")
def converted_dir(shared_context: ServiceContext) -> Path:
    location = resolve_model(SMOLLM2)
    return ensure_converted(location, models_dir=shared_context.settings.data_dir / "models")


@pytest.fixture(scope="module")
def tiny_t5(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("tiny-t5-service")
    try:
        yield save_tiny_t5(path)
    finally:
        for file in path.iterdir():
            file.unlink()


async def test_check_records_text_generation_for_the_packaged_gguf_model(service: LocalService) -> None:
    bare = Endpoint(
        inference_id="smol", task_type=TaskType.COMPLETION, service="local", service_settings={"model": SMOLLM2}
    )
    checked = await service.check(bare, timeout=30)
    assert checked.service_settings["task"] == "text-generation"


async def test_auto_runs_the_engine_measured_on_this_cpu_and_records_its_figures(
    service: LocalService, converted_dir: Path
) -> None:
    """The session measured SmolLM2's engines before any test (tests/conftest.py): create reads it back."""
    bare = Endpoint(
        inference_id="smol", task_type=TaskType.COMPLETION, service="local", service_settings={"model": SMOLLM2}
    )
    checked = await service.check(bare, timeout=30)
    choice = checked.service_settings["engine_choice"]
    engine = choice.split(",")[0]
    assert engine in CANDIDATES
    assert choice.startswith(f"{engine}, cached on {where_models_run()}"), choice  # "…: " or "… while busy (…): "
    assert "transformers-fp32 " in choice
    assert "tokens/s (1 row " in choice
    if CANDIDATES[engine].exact:  # an exact engine's greedy answer is transformers float32's
        prompt = "The three primary colors are"
        ours = await service.open(checked).generate(
            GenerateRequest(prompt=prompt, params=GenerationParams(max_new_tokens=8))
        )
        model = transformers.AutoModelForCausalLM.from_pretrained(converted_dir, dtype=torch.float32)
        tokenizer = transformers.AutoTokenizer.from_pretrained(converted_dir)
        ids = tokenizer(prompt, return_tensors="pt")
        out = model.generate(**ids, max_new_tokens=8, do_sample=False)
        assert ours.text == tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)


async def test_an_explicit_engine_is_used_as_set_without_measuring(service: LocalService) -> None:
    checked = await service.check(endpoint(TaskType.COMPLETION, dtype="float32"), timeout=30)
    assert checked.service_settings["engine_choice"] == f"transformers (float32), set on {where_models_run()}"
    checked = await service.check(endpoint(TaskType.COMPLETION, engine="onnx-int8"), timeout=30)
    assert checked.service_settings["engine_choice"] == f"onnx-int8, set on {read_cpu().describe()}"


async def test_chat_answers_with_the_models_chat_template_and_counts_usage(
    service: LocalService, converted_dir: Path
) -> None:
    answer = await service.open(endpoint(TaskType.CHAT_COMPLETION)).chat(
        ChatRequest(messages=QUESTION, params=GenerationParams(max_new_tokens=12))
    )
    assert "Paris" in answer.text
    assert answer.finish_reason == "eos_token"
    tokenizer = transformers.AutoTokenizer.from_pretrained(converted_dir)  # the GGUF's tokenizer, cached on disk
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": QUESTION[0].content}], tokenize=False, add_generation_prompt=True
    )
    assert answer.usage.prompt_tokens == len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    assert answer.usage.completion_tokens == len(tokenizer(answer.text)["input_ids"]) + 1  # + <|im_end|>


async def test_float32_greedy_output_equals_transformers_generate(service: LocalService, converted_dir: Path) -> None:
    prompt = "The three primary colors are"
    request = GenerateRequest(prompt=prompt, params=GenerationParams(max_new_tokens=8))
    ours = await service.open(endpoint(TaskType.COMPLETION, dtype="float32")).generate(request)
    model = transformers.AutoModelForCausalLM.from_pretrained(converted_dir, dtype=torch.float32)
    tokenizer = transformers.AutoTokenizer.from_pretrained(converted_dir)
    ids = tokenizer(prompt, return_tensors="pt")
    out = model.generate(**ids, max_new_tokens=8, do_sample=False)
    assert ours.text == tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
    assert ours.finish_reason == "length"


async def test_onnx_engine_greedy_output_equals_transformers_generate(
    service: LocalService, converted_dir: Path
) -> None:
    pytest.importorskip("onnxruntime_genai")
    prompt = "The three primary colors are"
    request = GenerateRequest(prompt=prompt, params=GenerationParams(max_new_tokens=8))
    ours = await service.open(endpoint(TaskType.COMPLETION, engine="onnx")).generate(request)
    model = transformers.AutoModelForCausalLM.from_pretrained(converted_dir, dtype=torch.float32)
    tokenizer = transformers.AutoTokenizer.from_pretrained(converted_dir)
    ids = tokenizer(prompt, return_tensors="pt")
    out = model.generate(**ids, max_new_tokens=8, do_sample=False)
    assert ours.text == tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)


async def test_onnx_engine_refuses_an_encoder_decoder_model_naming_the_engine_to_use(
    service: LocalService, tiny_t5: Path
) -> None:
    settings = {"model": str(tiny_t5), "task": "text2text-generation", "engine": "onnx"}
    t5 = Endpoint(inference_id="t5", task_type=TaskType.COMPLETION, service="local", service_settings=settings)
    request = GenerateRequest(prompt="summarize : the house is small", params=GenerationParams(max_new_tokens=3))
    with pytest.raises(BadRequestError, match=r"decoder-only models; use the \[transformers\] engine"):
        await service.open(t5).generate(request)


async def test_stream_yields_one_delta_per_token_and_ends_with_length(service: LocalService) -> None:
    request = GenerateRequest(prompt="Once upon a time", params=GenerationParams(max_new_tokens=5))
    deltas = [d async for d in service.open(endpoint(TaskType.COMPLETION)).generate_stream(request)]
    assert len(deltas) == 5
    assert [d.finish_reason for d in deltas] == [None] * 4 + ["length"]
    assert deltas[-1].usage is not None
    assert deltas[-1].usage.completion_tokens == 5
    whole = await service.open(endpoint(TaskType.COMPLETION)).generate(request)
    assert "".join(d.text for d in deltas) == whole.text


async def test_stop_string_ends_the_answer_and_is_not_in_it(service: LocalService) -> None:
    params = GenerationParams(max_new_tokens=12, stop=("Paris",))
    answer = await service.open(endpoint(TaskType.CHAT_COMPLETION)).chat(ChatRequest(messages=QUESTION, params=params))
    assert answer.finish_reason == "stop_sequence"
    assert "Paris" not in answer.text
    assert answer.text.startswith("The capital of France is")


async def test_embeddings_are_served_between_the_decode_steps_of_a_long_generation(service: LocalService) -> None:
    minilm = Endpoint(
        inference_id="e",
        task_type=TaskType.TEXT_EMBEDDING,
        service="local",
        service_settings={"model": "all-MiniLM-L6-v2"},
    )
    await service.open(minilm).embed(EmbedRequest(texts=("warm up",)))
    arrivals: list[float] = []
    started = asyncio.Event()
    story = (ChatMessage(role="user", content="Write a long story about a dragon."),)
    request = ChatRequest(messages=story, params=GenerationParams(max_new_tokens=48))

    async def consume() -> None:
        async for _ in service.open(endpoint(TaskType.CHAT_COMPLETION)).chat_stream(request):
            arrivals.append(time.monotonic())
            started.set()

    generation = asyncio.ensure_future(consume())
    await started.wait()
    await service.open(minilm).embed(EmbedRequest(texts=("a short query",)))
    embedded_at = time.monotonic()
    await generation
    assert len(arrivals) == 48
    assert embedded_at < arrivals[-1]  # the embedding did not wait for the generation to end


async def test_text2text_model_directory_is_detected_and_generates(service: LocalService, tiny_t5: Path) -> None:
    # engine set: `auto` would measure in the background, into the suite's shared choices folder, while the
    # fixture deletes the model's files under it
    settings = {"model": str(tiny_t5), "engine": "transformers"}
    bare = Endpoint(inference_id="t5", task_type=TaskType.COMPLETION, service="local", service_settings=settings)
    checked = await service.check(bare, timeout=30)
    assert checked.service_settings["task"] == "text2text-generation"
    request = GenerateRequest(prompt="summarize : the house is small", params=GenerationParams(max_new_tokens=3))
    result = await service.open(checked).generate(request)
    assert result.finish_reason in ("length", "eos_token")
    assert 1 <= result.usage.completion_tokens <= 3
    assert result.usage.prompt_tokens == 6


async def test_completion_and_chat_endpoints_work_through_the_inference_api(client: httpx.AsyncClient) -> None:
    body = {"service": "local", "service_settings": {"model": SMOLLM2}, "task_settings": {"max_new_tokens": 4}}
    created = await client.put("/_inference/completion/smol", json=body)
    assert created.status_code == 200, created.text
    assert created.json()["service_settings"]["task"] == "text-generation"
    # a first use in a new process loads the model (and may convert the GGUF): allow for it
    answer = await client.post("/_inference/completion/smol?timeout=300s", json={"input": "Hello"})
    assert answer.status_code == 200, answer.text
    assert isinstance(answer.json()["completion"][0]["result"], str)
    assert (await client.put("/_inference/chat_completion/smol-chat", json=body)).status_code == 200
    messages = {"messages": [{"role": "user", "content": "What is the capital of France?"}]}
    streamed = await client.post("/_inference/chat_completion/smol-chat/_stream?timeout=300s", json=messages)
    assert streamed.status_code == 200, streamed.text
    assert "[DONE]" in streamed.text
    # the stored max_new_tokens reaches the model through every face (the orchestrator's one merge)
    openai = await client.post("/v1/chat/completions", json={"model": "smol-chat", **messages})
    assert openai.status_code == 200, openai.text
    assert 1 <= openai.json()["usage"]["completion_tokens"] <= 4


async def test_get_shows_the_engine_and_its_choice_and_bad_engine_settings_are_refused(
    client: httpx.AsyncClient,
) -> None:
    body = {"service": "local", "service_settings": {"model": SMOLLM2}}
    assert (await client.put("/_inference/completion/smol-auto", json=body)).status_code == 200
    shown = (await client.get("/_inference/completion/smol-auto")).json()["endpoints"][0]["service_settings"]
    assert shown["engine"] == "auto"
    assert shown["min_cosine"] == 0.9999
    assert shown["engine_choice"].startswith(f"{shown['engine_choice'].split(',')[0]}, cached on ")
    for settings, field in (
        ({"min_cosine": 1.5}, "min_cosine"),
        ({"min_cosine": "high"}, "min_cosine"),
        ({"min_cosine": -0.1}, "min_cosine"),
        ({"engine": "fastest"}, "engine"),
    ):
        bad = {"service": "local", "service_settings": {"model": SMOLLM2, **settings}}
        refused = await client.put("/_inference/completion/smol-bad", json=bad)
        assert refused.status_code == 400, refused.text
        assert f"[{field}]" in refused.text
