"""The orchestrator's rules for running inference: task-type checks, merged settings, descriptions."""

from __future__ import annotations

import pytest

from hfgate.errors import BadRequestError
from hfgate.orchestrator import Orchestrator
from hfgate.services.hugging_face.service import HuggingFaceService
from hfgate.services.local import LocalService
from hfgate.tasks import GenerationParams, TaskType


async def test_a_generating_model_answers_both_completion_and_chat(orch: Orchestrator) -> None:
    completion = await orch.endpoint_for(".smollm2-135m-instruct", TaskType.CHAT_COMPLETION)
    assert completion.task_type is TaskType.COMPLETION


async def test_an_embedding_model_refuses_completion_naming_both_types(orch: Orchestrator) -> None:
    with pytest.raises(BadRequestError, match=r"requested type \[completion\] does not match the model type"):
        await orch.endpoint_for(".all-minilm-l6-v2", "completion")


async def test_request_parameters_win_over_stored_task_settings(orch: Orchestrator) -> None:
    await orch.create(
        inference_id="g1",
        task_type="completion",
        body={
            "service": "local",
            "service_settings": {"model": "HuggingFaceTB/SmolLM2-135M-Instruct"},
            "task_settings": {"temperature": 0.3, "max_new_tokens": 12},
        },
        validate=False,
    )
    endpoint = await orch.endpoint_for("g1", "completion")
    merged = orch.generation_params(endpoint, GenerationParams(temperature=0.9))
    assert (merged.temperature, merged.max_new_tokens) == (0.9, 12)
    assert orch.generation_params(endpoint).temperature == 0.3


async def test_a_request_task_setting_the_service_does_not_know_is_refused(orch: Orchestrator) -> None:
    endpoint = await orch.endpoint_for(".all-minilm-l6-v2", None)
    with pytest.raises(BadRequestError, match="colour"):
        orch.task_settings(endpoint, {"colour": "blue"})


async def test_faces_learn_the_services_and_suggested_models_from_the_orchestrator(orch: Orchestrator) -> None:
    assert orch.service_kinds() == {"hugging_face": HuggingFaceService, "local": LocalService}
    assert "sentence-transformers/all-MiniLM-L6-v2" in orch.suggested_models()
    with pytest.raises(BadRequestError, match=r"Unknown service \[nope\]"):
        orch.service_kind("nope")
