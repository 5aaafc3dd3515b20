"""The create-time checks of the ``hugging_face`` service: each says which check failed and what to do."""

from __future__ import annotations

from typing import Any

import pytest

from hfgate.errors import BadRequestError, HfGateError, UpstreamAuthError, ValidationCallError
from hfgate.services.hugging_face.service import HuggingFaceService
from hfgate.tasks import TaskType
from tests.fakes.hf_fixtures import endpoint, fake_hf, fake_hf_server, hf_service
from tests.fakes.hf_server import FakeHF, Fault

__all__ = ["fake_hf", "fake_hf_server", "hf_service"]


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"url": "http://x", "model_id": "a/b"}, "[service_settings] contains both [url] and [model_id]"),
        ({}, "[service_settings] must contain either [url]"),
        ({"url": "ftp://x"}, "[service_settings] Invalid url [ftp://x]: it must start with http:// or https://"),
        ({"model_id": "https://x/y"}, "[model_id] [https://x/y] is a url; give it as [url] instead"),
        ({"model_id": "a/b/c"}, "Invalid [model_id] [a/b/c]: it is a Hub repository id"),
        ({"model_id": "a/b", "namespace": "acme"}, "[namespace] applies only to a dedicated endpoint"),
        ({"url": "http://x", "provider": "together"}, "[provider] applies only to a hosted [model_id]; remove it"),
        ({"model_id": "a/b", "engine": "vllm"}, "[engine] applies only to a server given by [url]; remove it"),
        ({"model_id": "a/b", "provider": "to get her"}, "Invalid [provider] [to get her]: give [auto], a provider's"),
    ],
)
def test_settings_that_do_not_combine_are_named(settings: dict[str, Any], problem: str) -> None:
    problems = HuggingFaceService.cross_check(TaskType.TEXT_EMBEDDING, settings)
    assert len(problems) == 1
    assert problem in problems[0]


async def failure(service: HuggingFaceService, task_type: TaskType, **settings: Any) -> HfGateError:
    with pytest.raises(HfGateError) as raised:
        await service.check(endpoint(task_type, **settings), timeout=5)
    return raised.value


async def test_an_unknown_hosted_model_is_named(hf_service: HuggingFaceService) -> None:
    error = await failure(hf_service, TaskType.TEXT_EMBEDDING, model_id="nobody/nothing")
    assert isinstance(error, ValidationCallError)
    assert error.reason.startswith("Model [nobody/nothing] not found on the Hugging Face Hub")
    assert "[service_settings.model_id]" in error.reason


async def test_a_model_with_inference_turned_off_is_refused(hf_service: HuggingFaceService) -> None:
    error = await failure(hf_service, TaskType.COMPLETION, model_id="meta/closed-model")
    assert error.reason.startswith("Inference API has been turned off for this model [meta/closed-model]")
    assert "register that endpoint's [url]" in error.reason


async def test_a_model_of_another_task_is_refused_with_the_tasks_that_fit(hf_service: HuggingFaceService) -> None:
    error = await failure(hf_service, TaskType.TEXT_EMBEDDING, model_id="openai/clip-vit-base-patch32")
    assert error.reason.startswith(
        "Model [openai/clip-vit-base-patch32] is not a valid task for [text_embedding]: its task (pipeline_tag) is "
        "[zero-shot-image-classification], must be one of (feature-extraction, sentence-similarity)."
    )


async def test_a_model_no_callable_provider_serves_is_refused_naming_those_that_do(
    hf_service: HuggingFaceService,
) -> None:
    error = await failure(hf_service, TaskType.TEXT_EMBEDDING, model_id="Qwen/Qwen3-Embedding-8B")
    assert error.reason.startswith(
        "No Inference Provider serves model [Qwen/Qwen3-Embedding-8B] for [text_embedding] in a way hfgate can "
        "call. Providers serving it: [nebius (feature-extraction, live)]; hfgate calls the router for "
        "[conversational] and these providers' own routes for [text_embedding]: [deepinfra, hf-inference, "
        "scaleway, together]."
    )
    assert "deploy this one to an Inference Endpoint (vLLM, TGI or TEI) and register its [url]" in error.reason


async def test_a_token_the_hub_refuses_is_an_authentication_error(hf_service: HuggingFaceService) -> None:
    with pytest.raises(UpstreamAuthError) as raised:
        await hf_service.check(endpoint(TaskType.COMPLETION, model_id="gpt2", token="hf_wrong"), timeout=5)
    assert raised.value.status == 401
    assert raised.value.reason.startswith("The Hugging Face Hub refused the access token for model [gpt2]")


async def test_a_given_task_that_contradicts_the_hub_is_refused(hf_service: HuggingFaceService) -> None:
    error = await failure(hf_service, TaskType.COMPLETION, model_id="gpt2", task="text2text-generation")
    assert "[task] is [text2text-generation] but the Hub says model [gpt2] is served as [text-generation]" in (
        error.reason
    )


def endpoint_item(
    fake: FakeHF, *, server: str = "tei", state: str = "running", task: str = "feature-extraction"
) -> dict[str, Any]:
    return {
        "name": "my-embedder",
        "type": "protected",
        "status": {"state": state, "url": f"{fake.base}/{server}"},
        "model": {"repository": "BAAI/bge-small-en-v1.5", "task": task, "framework": "pytorch"},
    }


async def test_a_namespaced_endpoint_is_confirmed_and_its_model_recorded(
    hf_service: HuggingFaceService, fake_hf: FakeHF
) -> None:
    fake_hf.namespaces["acme"] = [endpoint_item(fake_hf)]
    created = await hf_service.check(
        endpoint(TaskType.TEXT_EMBEDDING, url=f"{fake_hf.base}/tei", namespace="acme"), timeout=5
    )
    assert created.service_settings["served_model"] == "BAAI/bge-small-en-v1.5"
    assert fake_hf.hits("/endpoints/v2/endpoint/acme")


@pytest.mark.parametrize(
    ("namespace", "item", "message"),
    [
        ("nobody", {}, "User Name or Organization Name is invalid: namespace [nobody] was not found"),
        ("acme", {"server": "other"}, "No Inference Endpoint of namespace [acme] has the url"),
        ("acme", {"state": "paused"}, "Inference Endpoint [my-embedder] is paused: resume it on its page."),
        ("acme", {"task": "text-generation"}, "Model Name [BAAI/bge-small-en-v1.5] is invalid for text_embedding"),
    ],
    ids=["unknown-namespace", "url-not-there", "paused", "wrong-task"],
)
async def test_namespace_checks_say_which_part_failed(
    hf_service: HuggingFaceService, fake_hf: FakeHF, namespace: str, item: dict[str, str], message: str
) -> None:
    fake_hf.namespaces["acme"] = [endpoint_item(fake_hf, **item)]
    error = await failure(hf_service, TaskType.TEXT_EMBEDDING, url=f"{fake_hf.base}/tei", namespace=namespace)
    assert isinstance(error, ValidationCallError)
    assert message in error.reason


async def test_a_server_of_another_model_kind_is_refused(hf_service: HuggingFaceService, fake_hf: FakeHF) -> None:
    error = await failure(hf_service, TaskType.TEXT_EMBEDDING, url=f"{fake_hf.base}/tei-rerank")
    assert "serves a [reranker] model ([BAAI/bge-reranker-base]), which cannot serve [text_embedding]" in error.reason


async def test_a_400_on_the_test_generation_names_the_engine_and_how_to_correct_it(
    hf_service: HuggingFaceService, fake_hf: FakeHF
) -> None:
    fake_hf.inject("/tgi/generate", Fault(status=400, body={"error": "unknown route"}))
    error = await failure(hf_service, TaskType.COMPLETION, url=f"{fake_hf.base}/tgi", engine="tgi")
    assert error.status == 400
    assert "in the [tgi] engine's protocol: set [engine] to what serves the url" in error.reason


async def test_dimensions_that_differ_from_the_models_are_refused(
    hf_service: HuggingFaceService, fake_hf: FakeHF
) -> None:
    error = await failure(hf_service, TaskType.TEXT_EMBEDDING, url=f"{fake_hf.base}/tei", dimensions=5)
    assert isinstance(error, BadRequestError)
    assert error.reason.startswith(
        "The retrieved embeddings size [8] does not match the size specified in the settings [5]"
    )


async def test_an_unreachable_url_fails_the_test_call_naming_it(hf_service: HuggingFaceService) -> None:
    error = await failure(hf_service, TaskType.TEXT_EMBEDDING, url="http://127.0.0.1:9/embed")
    assert error.status == 502
    assert "The test [text_embedding] call to [http://127.0.0.1:9/embed] failed: Failed to connect" in error.reason
