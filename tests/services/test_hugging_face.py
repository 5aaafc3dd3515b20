"""The ``hugging_face`` service end to end over real HTTP: hosted model ids and server urls, for every
task type, against the fake Hugging Face server."""

from __future__ import annotations

import pytest

from hfgate.chat.messages import ChatMessage
from hfgate.errors import UpstreamAuthError, UpstreamRateLimitError, UpstreamServerError, UpstreamTimeoutError
from hfgate.registry.endpoint import Endpoint
from hfgate.services.hugging_face.service import HuggingFaceService
from hfgate.tasks import ChatRequest, EmbedRequest, GenerateRequest, GenerationParams, RerankRequest, TaskType
from tests.fakes.hf_fixtures import endpoint, fake_hf, fake_hf_server, hf_service
from tests.fakes.hf_server import DIMENSIONS, FakeHF, Fault, vector_for

__all__ = ["fake_hf", "fake_hf_server", "hf_service"]

HOSTED_EMBEDDING = "BAAI/bge-small-en-v1.5"


def where(fake: FakeHF, kind: str, server: str) -> dict[str, str]:
    """Settings that reach ``server`` either hosted (a model id) or by url."""
    return {"model_id": server} if kind == "hosted" else {"url": f"{fake.base}/{server}"}


@pytest.mark.parametrize(("kind", "server"), [("hosted", HOSTED_EMBEDDING), ("url", "tei")])
async def test_embeddings_work_and_record_dimensions(
    hf_service: HuggingFaceService, fake_hf: FakeHF, kind: str, server: str
) -> None:
    created = await hf_service.check(endpoint(TaskType.TEXT_EMBEDDING, **where(fake_hf, kind, server)), timeout=5)
    assert created.service_settings["dimensions"] == DIMENSIONS
    assert created.service_settings["similarity"] == "cosine"
    result = await hf_service.open(created).embed(EmbedRequest(texts=("one", "two", "three")))
    assert result.embeddings == [vector_for(t) for t in ("one", "two", "three")]


@pytest.mark.parametrize(
    ("kind", "server", "task"),
    [
        ("hosted", "gpt2", "text-generation"),
        ("hosted", "google/flan-t5-small", "text2text-generation"),
        ("hosted", "HuggingFaceTB/SmolLM2-135M-Instruct", "conversational"),
        ("url", "tgi", None),
    ],
)
async def test_completion_works_for_every_generation_task(
    hf_service: HuggingFaceService, fake_hf: FakeHF, kind: str, server: str, task: str | None
) -> None:
    created = await hf_service.check(endpoint(TaskType.COMPLETION, **where(fake_hf, kind, server)), timeout=5)
    assert created.service_settings.get("task") == task
    done = await hf_service.open(created).generate(
        GenerateRequest(prompt="one two", params=GenerationParams(max_new_tokens=3))
    )
    assert done.text.strip() == "w0 w1 w2"
    if task != "text2text-generation":  # a text2text pipeline reports neither reason nor count
        assert done.finish_reason == "length"
        assert done.usage.completion_tokens == 3


async def test_text2text_on_a_url_endpoint(hf_service: HuggingFaceService, fake_hf: FakeHF) -> None:
    created = endpoint(TaskType.COMPLETION, url=f"{fake_hf.base}/t2t", task="text2text-generation")
    done = await hf_service.open(created).generate(GenerateRequest(prompt="translate this"))
    assert done.text == "w0 w1 w2 w3 w4"
    sent = fake_hf.hits("/t2t")[-1].body
    assert "return_full_text" not in sent["parameters"]


async def test_a_backend_refusing_parameters_is_retried_without_them(
    hf_service: HuggingFaceService, fake_hf: FakeHF
) -> None:
    # text-generation on a transformers (text2text) backend: it names details/return_full_text as unused.
    created = endpoint(TaskType.COMPLETION, url=f"{fake_hf.base}/t2t", task="text-generation")
    done = await hf_service.open(created).generate(GenerateRequest(prompt="a b"))
    assert done.text
    assert len(fake_hf.hits("/t2t")) == 2


@pytest.mark.parametrize(
    ("kind", "server"), [("hosted", "gpt2"), ("hosted", "HuggingFaceTB/SmolLM2-135M-Instruct"), ("url", "tgi")]
)
async def test_completion_streams(hf_service: HuggingFaceService, fake_hf: FakeHF, kind: str, server: str) -> None:
    created = await hf_service.check(endpoint(TaskType.COMPLETION, **where(fake_hf, kind, server)), timeout=5)
    deltas = [d async for d in hf_service.open(created).generate_stream(GenerateRequest(prompt="one two"))]
    assert "".join(d.text for d in deltas) == " w0 w1 w2 w3 w4"
    assert [d.finish_reason for d in deltas][-1] == "eos_token"
    assert all(d.finish_reason is None for d in deltas[:-1])
    assert deltas[-1].usage is not None
    assert deltas[-1].usage.completion_tokens == 5


async def test_the_tgi_request_carries_every_parameter_and_no_echo(
    hf_service: HuggingFaceService, fake_hf: FakeHF
) -> None:
    created = endpoint(TaskType.COMPLETION, url=f"{fake_hf.base}/tgi")
    created = created.evolve(task_settings={"typical_p": 0.9, "watermark": True, "top_k": 4})
    params = GenerationParams(max_new_tokens=2, temperature=0.5, stop=("\n",), seed=1)
    await hf_service.open(created).generate(GenerateRequest(prompt="x", params=params))
    sent = fake_hf.hits("/tgi")[-1].body
    assert sent == {
        "inputs": "x",
        "parameters": {
            "typical_p": 0.9,
            "watermark": True,
            "top_k": 4,
            "max_new_tokens": 2,
            "temperature": 0.5,
            "seed": 1,
            "stop": ["\n"],
            "return_full_text": False,
            "details": True,
        },
    }


@pytest.mark.parametrize(("kind", "server"), [("hosted", "HuggingFaceTB/SmolLM2-135M-Instruct"), ("url", "tgi")])
async def test_chat_completion_answers_and_streams(
    hf_service: HuggingFaceService, fake_hf: FakeHF, kind: str, server: str
) -> None:
    created = await hf_service.check(endpoint(TaskType.CHAT_COMPLETION, **where(fake_hf, kind, server)), timeout=5)
    request = ChatRequest(messages=(ChatMessage(role="user", content="hello there"),))
    done = await hf_service.open(created).chat(request)
    assert done.text == " w0 w1 w2 w3 w4"
    deltas = [d async for d in hf_service.open(created).chat_stream(request)]
    assert "".join(d.text for d in deltas) == done.text
    assert deltas[-1].usage is not None
    assert deltas[-1].usage.prompt_tokens == 2


@pytest.mark.parametrize(
    ("kind", "server"), [("hosted", "sentence-transformers/all-MiniLM-L6-v2"), ("url", "tei-rerank")]
)
async def test_rerank_orders_documents(hf_service: HuggingFaceService, fake_hf: FakeHF, kind: str, server: str) -> None:
    created = await hf_service.check(endpoint(TaskType.RERANK, **where(fake_hf, kind, server)), timeout=5)
    request = RerankRequest(query="big cat", documents=("a dog", "big cat", "cat"), top_n=2)
    result = await hf_service.open(created).rerank(request)
    assert [(h.index, h.text) for h in result.hits] == [(1, "big cat"), (2, "cat")]


async def test_embedding_batches_follow_the_servers_max_client_batch_size(
    hf_service: HuggingFaceService, fake_hf: FakeHF
) -> None:
    fake_hf.tei_batch_size = 4
    texts = tuple(f"text {i}" for i in range(10))
    result = await hf_service.open(endpoint(TaskType.TEXT_EMBEDDING, url=f"{fake_hf.base}/tei")).embed(
        EmbedRequest(texts=texts)
    )
    assert result.embeddings == [vector_for(t) for t in texts]
    assert sorted(len(r.body["inputs"]) for r in fake_hf.hits("/tei") if r.path == "/tei") == [2, 4, 4]


async def test_hosted_embeddings_go_in_batches_of_20(hf_service: HuggingFaceService, fake_hf: FakeHF) -> None:
    texts = tuple(f"t{i}" for i in range(45))
    result = await hf_service.open(endpoint(TaskType.TEXT_EMBEDDING, model_id=HOSTED_EMBEDDING)).embed(
        EmbedRequest(texts=texts)
    )
    assert len(result.embeddings) == 45
    assert sorted(len(r.body["inputs"]) for r in fake_hf.hits("/hf-inference")) == [5, 20, 20]


async def test_a_plain_text_413_halves_the_batch_then_truncates(
    hf_service: HuggingFaceService, fake_hf: FakeHF
) -> None:
    fake_hf.body_limit = 200
    texts = ("short", "x" * 150, "y" * 400)
    result = await hf_service.open(endpoint(TaskType.TEXT_EMBEDDING, url=f"{fake_hf.base}/tei")).embed(
        EmbedRequest(texts=texts)
    )
    assert result.embeddings[:2] == [vector_for("short"), vector_for("x" * 150)]
    assert result.embeddings[2] == vector_for("y" * 100)


@pytest.mark.parametrize("shape", ["3d", "dict"])
async def test_token_level_and_object_answers_reach_the_user_as_vectors(
    hf_service: HuggingFaceService, fake_hf: FakeHF, shape: str
) -> None:
    fake_hf.inject("/hf-inference", Fault(shape=shape))
    result = await hf_service.open(endpoint(TaskType.TEXT_EMBEDDING, model_id=HOSTED_EMBEDDING)).embed(
        EmbedRequest(texts=("a", "b"))
    )
    for got, expected in zip(result.embeddings, [vector_for("a"), vector_for("b")], strict=True):
        assert got == pytest.approx(expected)


async def test_embedding_tokens_are_counted_with_the_models_own_tokenizer(hf_service: HuggingFaceService) -> None:
    from tokenizers import Tokenizer

    from hfgate.local.catalog import resolve_model

    tokenizer = Tokenizer.from_file(str(resolve_model("all-MiniLM-L6-v2").path / "tokenizer.json"))
    tokenizer.no_padding()
    texts = ("Hello world, this is hfgate.", "two")
    expected = sum(len(tokenizer.encode(t).ids) for t in texts)
    created = endpoint(TaskType.TEXT_EMBEDDING, model_id="sentence-transformers/all-MiniLM-L6-v2")
    result = await hf_service.open(created).embed(EmbedRequest(texts=texts))
    assert result.usage.prompt_tokens == expected


async def test_without_a_tokenizer_the_upstreams_count_is_used(hf_service: HuggingFaceService, fake_hf: FakeHF) -> None:
    created = endpoint(TaskType.CHAT_COMPLETION, url=f"{fake_hf.base}/tgi")
    done = await hf_service.open(created).chat(ChatRequest(messages=(ChatMessage(role="user", content="a b c"),)))
    assert (done.usage.prompt_tokens, done.usage.completion_tokens) == (3, 6)


async def test_faults_under_load_each_end_in_a_result_or_a_typed_error(
    hf_service: HuggingFaceService, fake_hf: FakeHF
) -> None:
    import asyncio

    faults = [
        Fault.rate_limited(),
        Fault.server_error(500),
        Fault(reset=True),
        Fault.malformed(),
        Fault.loading("m", 0.05),
    ]
    fake_hf.inject("/tei/", *(faults * 8))
    created = endpoint(TaskType.TEXT_EMBEDDING, url=f"{fake_hf.base}/tei/")
    outcomes = await asyncio.gather(
        *(hf_service.open(created).embed(EmbedRequest(texts=(f"t{i}",))) for i in range(60)), return_exceptions=True
    )
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    assert all(isinstance(f, UpstreamServerError | UpstreamRateLimitError) for f in failures), failures
    assert len(outcomes) - len(failures) >= 40


async def test_the_service_holds_its_rate_limit_over_http(hf_service: HuggingFaceService, fake_hf: FakeHF) -> None:
    import asyncio
    import time

    created = endpoint(TaskType.TEXT_EMBEDDING, url=f"{fake_hf.base}/tei").evolve(
        service_settings={"url": f"{fake_hf.base}/tei", "rate_limit": {"requests_per_minute": 12_000}}
    )
    await hf_service.open(created).embed(EmbedRequest(texts=("warm up",)))  # reads /info, uses the free slot
    end = time.monotonic() + 2.0

    async def client() -> None:
        # Every request's deadline is the window's end, so whatever reaches the server was sent within it.
        while time.monotonic() < end:
            try:
                await hf_service.open(created).embed(EmbedRequest(texts=("a",), timeout=end - time.monotonic()))
            except (UpstreamRateLimitError, UpstreamTimeoutError):
                return

    await asyncio.gather(*(client() for _ in range(16)))
    sent = len([r for r in fake_hf.hits("/tei") if r.path == "/tei"]) - 1
    assert abs(sent - 400) <= 8, sent


async def test_a_wrong_token_stays_an_authentication_error(hf_service: HuggingFaceService, fake_hf: FakeHF) -> None:
    created: Endpoint = endpoint(TaskType.TEXT_EMBEDDING, url=f"{fake_hf.base}/tei", token="hf_wrong")
    with pytest.raises(UpstreamAuthError) as raised:
        await hf_service.open(created).embed(EmbedRequest(texts=("a",)))
    assert raised.value.status == 401
