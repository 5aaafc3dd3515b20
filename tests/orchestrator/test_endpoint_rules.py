"""The orchestrator's rules for managing endpoints, checked without any HTTP face in between."""

from __future__ import annotations

from typing import Any

import pytest

from hfgate.errors import (
    AlreadyExistsError,
    BadRequestError,
    EndpointNotFoundError,
    ParseError,
    RequestValidationError,
    UpstreamUnreachableError,
)
from hfgate.orchestrator import Orchestrator
from tests.support.live_server import free_port

LOCAL_EMBEDDING: dict[str, Any] = {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2"}}
DEFAULTS_AND_PRESETS = (".all-minilm-l6-v2", ".ms-marco-minilm-l6-v2", ".smollm2-135m-instruct", ".splade-pp-en-v1")


def hf_url_body(url: str) -> dict[str, Any]:
    return {"service": "hugging_face", "service_settings": {"url": url, "api_key": "hf_test"}}


async def test_ids_starting_with_a_dot_are_reserved_for_the_defaults(orch: Orchestrator) -> None:
    with pytest.raises(BadRequestError, match=r"ids starting with \[\.\] are reserved") as raised:
        await orch.create(inference_id=".mine", task_type="text_embedding", body=LOCAL_EMBEDDING, validate=False)
    assert raised.value.param == "inference_id"


async def test_an_id_elasticsearch_refuses_is_a_validation_error(orch: Orchestrator) -> None:
    with pytest.raises(RequestValidationError, match="can contain lowercase alphanumeric"):
        await orch.create(inference_id="Upper", task_type="text_embedding", body=LOCAL_EMBEDDING, validate=False)


async def test_task_types_in_url_and_body_must_agree(orch: Orchestrator) -> None:
    body = {**LOCAL_EMBEDDING, "task_type": "completion"}
    with pytest.raises(BadRequestError, match="Cannot resolve conflicting task_type"):
        await orch.create(inference_id="e1", task_type="text_embedding", body=body, validate=False)


async def test_an_unknown_top_level_field_is_named_with_the_allowed_ones(orch: Orchestrator) -> None:
    with pytest.raises(ParseError, match=r"Unknown field \[colour\]") as raised:
        await orch.create(inference_id="e1", task_type="text_embedding", body={**LOCAL_EMBEDDING, "colour": 1})
    assert raised.value.param == "colour"


async def test_a_missing_service_is_refused_before_anything_is_stored(orch: Orchestrator) -> None:
    with pytest.raises(BadRequestError, match="missing a service"):
        await orch.create(inference_id="e1", task_type="text_embedding", body={"service_settings": {}})
    assert [e.inference_id for e in await orch.list()] == [*DEFAULTS_AND_PRESETS]


async def test_an_id_is_taken_once(orch: Orchestrator) -> None:
    await orch.create(inference_id="e1", task_type="text_embedding", body=LOCAL_EMBEDDING, validate=False)
    with pytest.raises(AlreadyExistsError):
        await orch.create(inference_id="e1", task_type="text_embedding", body=LOCAL_EMBEDDING, validate=False)


async def test_get_refuses_a_task_type_that_is_not_the_endpoints(orch: Orchestrator) -> None:
    with pytest.raises(BadRequestError, match=r"does not match the inference endpoint's task type \[text_embedding\]"):
        await orch.get(".all-minilm-l6-v2", "completion")
    assert (await orch.get(".all-minilm-l6-v2", "_all")).inference_id == ".all-minilm-l6-v2"


async def test_list_filters_by_task_type(orch: Orchestrator) -> None:
    assert [e.inference_id for e in await orch.list("completion")] == [".smollm2-135m-instruct"]
    assert len(await orch.list("*")) == len(DEFAULTS_AND_PRESETS)


async def test_an_update_may_not_change_a_fixed_setting(orch: Orchestrator) -> None:
    await orch.create(inference_id="e1", task_type="text_embedding", body=LOCAL_EMBEDDING, validate=False)
    with pytest.raises(BadRequestError, match=r"\[model\] cannot be updated") as raised:
        await orch.update("e1", None, body={"service_settings": {"model": "other"}})
    assert raised.value.param == "service_settings.model"


async def test_a_deleted_endpoint_is_gone_for_inference_at_once(orch: Orchestrator) -> None:
    await orch.create(inference_id="e1", task_type="text_embedding", body=LOCAL_EMBEDDING, validate=False)
    await orch.endpoint_for("e1", "text_embedding")  # now in the lookup cache
    await orch.delete("e1")
    with pytest.raises(EndpointNotFoundError, match=r"Inference endpoint not found \[e1\]"):
        await orch.endpoint_for("e1", "text_embedding")


async def test_a_failed_validation_call_keeps_its_status_and_stores_nothing(orch: Orchestrator) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(UpstreamUnreachableError) as raised:
        await orch.create(inference_id="e1", task_type="text_embedding", body=hf_url_body(closed), timeout=10)
    assert raised.value.status == 502
    assert raised.value.reason.startswith("Could not complete inference endpoint creation as validation call")
    with pytest.raises(EndpointNotFoundError):
        await orch.get("e1")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"top_p": 0}, r"\[top_p\] must be greater than \[0\] and at most \[1\]"),
        ({"top_p": 1.5}, r"\[top_p\] must be greater than \[0\] and at most \[1\]"),
        ({"repetition_penalty": 0}, r"\[repetition_penalty\] must be greater than \[0\]"),
    ],
)
async def test_a_generation_setting_every_request_would_refuse_is_refused_at_create(
    orch: Orchestrator, settings: dict[str, Any], message: str
) -> None:
    """Stored task settings are checked with the bounds the local engines check per request, so a value
    that passed create cannot fail every later request."""
    body = {"service": "hugging_face", "service_settings": {"url": "http://127.0.0.1:9", "api_key": "hf_test"},
            "task_settings": settings}  # fmt: skip
    with pytest.raises(RequestValidationError, match=message):
        await orch.create(inference_id="g1", task_type="completion", body=body, validate=False)


async def test_top_p_of_one_is_stored(orch: Orchestrator) -> None:
    body = {"service": "hugging_face", "service_settings": {"url": "http://127.0.0.1:9", "api_key": "hf_test"},
            "task_settings": {"top_p": 1}}  # fmt: skip
    created = await orch.create(inference_id="g2", task_type="completion", body=body, validate=False)
    assert created.task_settings["top_p"] == 1
