"""Whether a request's task type fits the endpoint it names (Elasticsearch's two messages)."""

from __future__ import annotations

from hfgate.errors import BadRequestError
from hfgate.orchestrator.ids import ALL, parse_task_type
from hfgate.registry.endpoint import Endpoint
from hfgate.services import service_class
from hfgate.tasks import TaskType


def check_kind(endpoint: Endpoint, task_type: str | None) -> None:
    """A read, update or delete that names a task type names the endpoint's own (or ``_all``)."""
    if task_type is None or task_type in ALL:
        return
    if parse_task_type(task_type) is not endpoint.task_type:
        raise BadRequestError(
            f"Requested task type [{task_type}] does not match the inference endpoint's task type "
            f"[{endpoint.task_type.value}]",
            param="task_type",
        )


def check_inference_kind(endpoint: Endpoint, task_type: str | TaskType | None) -> None:
    """Inference asks for the endpoint's task type, or the other generation task its service offers."""
    if task_type is None:
        return
    requested = parse_task_type(task_type)
    if requested is endpoint.task_type or _generation_pair(requested, endpoint) or _embedding_pair(requested, endpoint):
        return
    raise BadRequestError(
        f"Incompatible task_type, the requested type [{requested.value}] does not match the model type "
        f"[{endpoint.task_type.value}]",
        param="task_type",
    )


def _embedding_pair(requested: TaskType, endpoint: Endpoint) -> bool:
    """A text_embedding model answers Elasticsearch's ``embedding`` task (text content), and an ``embedding``
    endpoint answers ``text_embedding`` for its text side."""
    return {requested, endpoint.task_type} == {TaskType.EMBEDDING, TaskType.TEXT_EMBEDDING}


def _generation_pair(requested: TaskType, endpoint: Endpoint) -> bool:
    """A generating model answers both completion and chat_completion when its service offers both."""
    generating = {TaskType.COMPLETION, TaskType.CHAT_COMPLETION}
    if requested not in generating or endpoint.task_type not in generating:
        return False
    return requested in service_class(endpoint.service).task_types
