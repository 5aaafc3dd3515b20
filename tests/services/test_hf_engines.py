"""Servers by url, every engine x task x stream, over real HTTP to the fake engines: what serves the url
is detected at create, and each engine's protocol is spoken (routes, model name, events, usage)."""

from __future__ import annotations

import pytest

from hfgate.chat.messages import ChatMessage
from hfgate.errors import BadRequestError, UpstreamBadRequestError, ValidationCallError
from hfgate.registry.endpoint import Endpoint
from hfgate.services.hugging_face.service import HuggingFaceService
from hfgate.tasks import ChatRequest, EmbedRequest, GenerateRequest, GenerationParams, RerankRequest, TaskType
from tests.fakes.engines import ENGINES, sparse_for
from tests.fakes.hf_fixtures import endpoint, fake_hf, fake_hf_server, hf_service
from tests.fakes.hf_server import FakeHF, vector_for

__all__ = ["fake_hf", "fake_hf_server", "hf_service"]

THREE = GenerationParams(max_new_tokens=3)
CHAT = ChatRequest(messages=(ChatMessage(role="user", content="one two"),), params=THREE)


async def created(service: HuggingFaceService, fake: FakeHF, task: TaskType, server: str) -> Endpoint:
    return await service.check(endpoint(task, url=f"{fake.base}/{server}"), timeout=5)


@pytest.mark.parametrize(("server", "engine"), [("vllm", "vllm"), ("sglang", "sglang"), ("llamacpp", "llamacpp")])
async def test_an_openai_engine_is_detected_by_its_models_list(
    hf_service: HuggingFaceService, fake_hf: FakeHF, server: str, engine: str
) -> None:
    made = await created(hf_service, fake_hf, TaskType.COMPLETION, server)
    settings = made.service_settings
    assert (settings["engine"], settings["model_name"]) == (engine, ENGINES[server].served)


@pytest.mark.parametrize(
    ("server", "engine", "task"), [("tei", "tei", TaskType.TEXT_EMBEDDING), ("tgi", "tgi", TaskType.COMPLETION)]
)
async def test_tei_and_tgi_are_detected_by_their_info(
    hf_service: HuggingFaceService, fake_hf: FakeHF, server: str, engine: str, task: TaskType
) -> None:
    made = await created(hf_service, fake_hf, task, server)
    assert made.service_settings["engine"] == engine
    assert "model_name" not in made.service_settings


@pytest.mark.parametrize("server", ["vllm", "sglang", "llamacpp", "tgi"])
async def test_completion_answers_on_every_generating_engine(
    hf_service: HuggingFaceService, fake_hf: FakeHF, server: str
) -> None:
    made = await created(hf_service, fake_hf, TaskType.COMPLETION, server)
    done = await hf_service.open(made).generate(GenerateRequest(prompt="one two", params=THREE))
    assert (done.text.strip(), done.finish_reason, done.usage.completion_tokens) == ("w0 w1 w2", "length", 3)
    route = "/generate" if server == "tgi" else "/v1/completions"
    assert fake_hf.hits(f"/{server}{route}")


@pytest.mark.parametrize("server", ["vllm", "sglang", "llamacpp", "tgi"])
async def test_completion_streams_in_each_engines_events_with_usage_last(
    hf_service: HuggingFaceService, fake_hf: FakeHF, server: str
) -> None:
    made = await created(hf_service, fake_hf, TaskType.COMPLETION, server)
    deltas = [d async for d in hf_service.open(made).generate_stream(GenerateRequest(prompt="one two", params=THREE))]
    assert "".join(d.text for d in deltas).strip() == "w0 w1 w2"
    assert deltas[-1].finish_reason == "length"
    assert deltas[-1].usage is not None
    assert deltas[-1].usage.completion_tokens == 3
    assert all(d.finish_reason is None for d in deltas[:-1])


@pytest.mark.parametrize("server", ["vllm", "sglang", "llamacpp", "tgi"])
@pytest.mark.parametrize("stream", [False, True])
async def test_chat_on_every_generating_engine(
    hf_service: HuggingFaceService, fake_hf: FakeHF, server: str, stream: bool
) -> None:
    made = await created(hf_service, fake_hf, TaskType.CHAT_COMPLETION, server)
    if stream:
        deltas = [d async for d in hf_service.open(made).chat_stream(CHAT)]
        text, usage = "".join(d.text for d in deltas), deltas[-1].usage
    else:
        done = await hf_service.open(made).chat(CHAT)
        text, usage = done.text, done.usage
    assert text.strip() == "w0 w1 w2"
    assert usage is not None
    assert usage.completion_tokens == 3
    sent = fake_hf.hits(f"/{server}/v1/chat/completions")[-1].body
    assert sent["model"] == (ENGINES[server].served if server != "tgi" else "tgi")


@pytest.mark.parametrize("server", ["vllm-embed", "sglang", "llamacpp", "tei"])
async def test_embeddings_on_every_embedding_engine(
    hf_service: HuggingFaceService, fake_hf: FakeHF, server: str
) -> None:
    made = await created(hf_service, fake_hf, TaskType.TEXT_EMBEDDING, server)
    result = await hf_service.open(made).embed(EmbedRequest(texts=("one", "two", "three")))
    assert result.embeddings == [vector_for(t) for t in ("one", "two", "three")]


@pytest.mark.parametrize(
    ("server", "route"),
    [("vllm-rerank", "/rerank"), ("sglang", "/v1/rerank"), ("llamacpp", "/v1/rerank"), ("tei-rerank", "/rerank")],
)
async def test_rerank_on_every_reranking_engine(
    hf_service: HuggingFaceService, fake_hf: FakeHF, server: str, route: str
) -> None:
    made = await created(hf_service, fake_hf, TaskType.RERANK, server)
    ranked = await hf_service.open(made).rerank(RerankRequest(query="big cat", documents=("dog", "big cat", "cat")))
    assert [hit.index for hit in ranked.hits] == [1, 2, 0]
    assert fake_hf.hits(f"/{server}{route}")


async def test_sparse_embeddings_over_tei_embed_sparse(hf_service: HuggingFaceService, fake_hf: FakeHF) -> None:
    made = await created(hf_service, fake_hf, TaskType.SPARSE_EMBEDDING, "tei-sparse")
    assert made.service_settings["engine"] == "tei"
    result = await hf_service.open(made).sparse_embed(EmbedRequest(texts=("big cat", "dog")))
    # no tokenizer of naver/splade-v3 here: each token keeps its vocabulary id as its name
    assert [e.weights for e in result.embeddings] == [
        {str(i): w for i, w in sparse_for(t).items()} for t in ("big cat", "dog")
    ]


async def test_a_dense_tei_model_is_refused_for_sparse_embedding(
    hf_service: HuggingFaceService, fake_hf: FakeHF
) -> None:
    with pytest.raises(ValidationCallError) as raised:
        await created(hf_service, fake_hf, TaskType.SPARSE_EMBEDDING, "tei")
    assert "serves a dense model (pooling [cls]) ([BAAI/bge-small-en-v1.5]), which cannot serve [sparse_embedding]" in (
        raised.value.reason
    )


async def test_a_splade_model_is_refused_for_text_embedding(hf_service: HuggingFaceService, fake_hf: FakeHF) -> None:
    with pytest.raises(ValidationCallError) as raised:
        await created(hf_service, fake_hf, TaskType.TEXT_EMBEDDING, "tei-sparse")
    assert (
        "serves a sparse (SPLADE) model ([naver/splade-v3]), which cannot serve [text_embedding]; register it as "
        in (raised.value.reason)
    )


async def test_vllm_refuses_a_wrong_model_name_with_its_own_error(
    hf_service: HuggingFaceService, fake_hf: FakeHF
) -> None:
    made = endpoint(TaskType.COMPLETION, url=f"{fake_hf.base}/vllm", engine="vllm", model_name="tgi")
    with pytest.raises(UpstreamBadRequestError) as raised:
        await hf_service.open(made).generate(GenerateRequest(prompt="hi"))
    assert raised.value.status == 404
    assert "The model `tgi` does not exist." in raised.value.reason


@pytest.mark.parametrize(
    ("server", "message"),
    [
        ("sglang", "Requested token count exceeds the model's maximum context length of 4096 tokens."),
        ("llamacpp", "Requested token count exceeds the model's maximum context length of 4096 tokens."),
        ("vllm", "Requested token count exceeds the model's maximum context length of 4096 tokens."),
    ],
)
async def test_each_engines_error_body_is_read(
    hf_service: HuggingFaceService, fake_hf: FakeHF, server: str, message: str
) -> None:
    made = await created(hf_service, fake_hf, TaskType.COMPLETION, server)
    with pytest.raises(UpstreamBadRequestError) as raised:
        await hf_service.open(made).generate(GenerateRequest(prompt="hi", params=GenerationParams(max_new_tokens=5000)))
    assert raised.value.status == 400
    assert f"Error message: [{message}]" in raised.value.reason


@pytest.mark.parametrize(("server", "message"), [("sglang", "Not Found"), ("llamacpp", "File Not Found")])
async def test_an_unserved_route_is_a_404_with_the_engines_message(
    hf_service: HuggingFaceService, fake_hf: FakeHF, server: str, message: str
) -> None:
    made = endpoint(TaskType.SPARSE_EMBEDDING, url=f"{fake_hf.base}/{server}", engine="tei")
    with pytest.raises(UpstreamBadRequestError) as raised:
        await hf_service.open(made).sparse_embed(EmbedRequest(texts=("a",)))
    assert raised.value.status == 404
    assert f"Error message: [{message}]" in raised.value.reason


async def test_an_engine_without_the_task_says_so_and_how_to_fix(
    hf_service: HuggingFaceService, fake_hf: FakeHF
) -> None:
    made = endpoint(TaskType.COMPLETION, url=f"{fake_hf.base}/tei", engine="tei")
    with pytest.raises(BadRequestError) as raised:
        await hf_service.open(made).generate(GenerateRequest(prompt="hi"))
    assert raised.value.reason == (
        f"The [tei] engine at [{fake_hf.base}/tei] cannot serve [generate] (it serves: embed, sparse, rerank, "
        "pipeline); register the url of a server that does, or correct [service_settings.engine]"
    )


async def test_a_given_engine_overrides_detection(hf_service: HuggingFaceService, fake_hf: FakeHF) -> None:
    made = await hf_service.check(endpoint(TaskType.COMPLETION, url=f"{fake_hf.base}/vllm", engine="openai"), timeout=5)
    assert made.service_settings["engine"] == "openai"
    assert fake_hf.hits("/vllm/v1/completions")


async def test_an_unidentified_server_is_used_as_given(hf_service: HuggingFaceService, fake_hf: FakeHF) -> None:
    made = await created(hf_service, fake_hf, TaskType.COMPLETION, "t2t")
    assert made.service_settings["engine"] == "pipeline"


async def test_sparse_embeddings_are_sent_in_batches_the_server_takes(
    hf_service: HuggingFaceService, fake_hf: FakeHF
) -> None:
    made = await created(hf_service, fake_hf, TaskType.SPARSE_EMBEDDING, "tei-sparse")
    texts = tuple(f"word{i}" for i in range(40))
    result = await hf_service.open(made).sparse_embed(EmbedRequest(texts=texts))
    assert [e.weights for e in result.embeddings] == [{str(i): w for i, w in sparse_for(t).items()} for t in texts]
    assert sorted(len(r.body["inputs"]) for r in fake_hf.hits("/tei-sparse/embed_sparse")[-2:]) == [8, 32]


@pytest.mark.parametrize(("server", "window"), [("vllm-embed", 512), ("tei", 512)])
async def test_the_servers_context_window_is_recorded_and_a_longer_input_is_truncated_not_refused(
    hf_service: HuggingFaceService, fake_hf: FakeHF, server: str, window: int
) -> None:
    made = await created(hf_service, fake_hf, TaskType.TEXT_EMBEDDING, server)
    assert made.service_settings["context_window"] == window
    long = " ".join(f"w{i}" for i in range(window + 100))
    result = await hf_service.open(made).embed(EmbedRequest(texts=(long,)))
    assert result.embeddings == [vector_for(" ".join(f"w{i}" for i in range(window)))]


async def test_vllm_refuses_an_input_past_its_window_when_not_asked_to_truncate(
    hf_service: HuggingFaceService, fake_hf: FakeHF
) -> None:
    made = await created(hf_service, fake_hf, TaskType.TEXT_EMBEDDING, "vllm-embed")
    unknown = made.evolve(service_settings={k: v for k, v in made.service_settings.items() if k != "context_window"})
    with pytest.raises(UpstreamBadRequestError) as raised:
        await hf_service.open(unknown).embed(EmbedRequest(texts=(" ".join(["w"] * 600),)))
    assert "maximum context length is 512 tokens" in str(raised.value)
