"""A local model's identity for the embedding cache (``LocalModel.vector_model``): read from its files at the
endpoint's first request, then kept with the model object, so that a warm endpoint reads no file and the
vectors cached under it come from the model it loaded; opened again (a start, an ``_update``), the endpoint
reads the files as they are then."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hfgate.config import Settings
from hfgate.process.runtime import new_context
from hfgate.registry.endpoint import Endpoint
from hfgate.services.local import LocalService
from hfgate.tasks import TaskType
from tests.support.file_calls import file_calls


@pytest.fixture
def service(tmp_path: Path) -> Iterator[LocalService]:
    context = new_context(Settings(data_dir=tmp_path / "data", provision_defaults=False))
    try:
        yield LocalService(context)
    finally:
        context.close()


def endpoint_on(model: Path, task_type: TaskType) -> Endpoint:
    return Endpoint(inference_id="e", task_type=task_type, service="local", service_settings={"model": str(model)})


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "bert"}')
    (model / "model.safetensors").write_bytes(b"\0" * 64)
    return model


def test_the_identity_is_read_once_then_kept_without_a_file_read(service: LocalService, model_dir: Path) -> None:
    model = service.open(endpoint_on(model_dir, TaskType.TEXT_EMBEDDING))
    first = model.vector_model
    assert first is not None
    assert first.startswith("local|")
    (model_dir / "model.safetensors").write_bytes(b"\1" * 128)  # weights replaced under the running server
    with file_calls().counting() as calls:
        again = model.vector_model
    assert (again, calls) == (first, [])
    opened_again = service.open(endpoint_on(model_dir, TaskType.TEXT_EMBEDDING))
    assert opened_again.vector_model not in (None, first)  # the new weights, at the endpoint's next opening


def test_dense_sparse_and_rerank_are_three_key_spaces_and_generation_has_none(
    service: LocalService, model_dir: Path
) -> None:
    kinds = {
        task: service.open(endpoint_on(model_dir, task)).vector_model
        for task in (TaskType.TEXT_EMBEDDING, TaskType.SPARSE_EMBEDDING, TaskType.RERANK, TaskType.COMPLETION)
    }
    assert kinds[TaskType.COMPLETION] is None
    prefixes = {task: identity.split("|")[0] for task, identity in kinds.items() if identity is not None}
    assert prefixes == {
        TaskType.TEXT_EMBEDDING: "local",
        TaskType.SPARSE_EMBEDDING: "local-sparse",
        TaskType.RERANK: "local-rerank",
    }
    assert len({identity.split("|")[1] for identity in kinds.values() if identity is not None}) == 1
