"""Which inference ids and task types are valid, and whether a request's task type fits the endpoint it
names, with Elasticsearch's messages."""

from __future__ import annotations

import re
from typing import Any

from hfgate.errors import BadRequestError, RequestValidationError
from hfgate.registry.endpoint import Endpoint
from hfgate.services import service_class
from hfgate.tasks import TaskType

_ID = re.compile(r"[a-z0-9](?:[a-z0-9_\-.]{0,62}[a-z0-9])?")
ALL = frozenset({"_all", "*"})


def check_new_id(inference_id: str) -> None:
    """Refuse ids Elasticsearch would refuse, and ids reserved for the default endpoints.

    Raises:
        RequestValidationError: the id has characters or a length Elasticsearch does not accept.
        BadRequestError: the id starts with ``.`` (reserved for hfgate's default endpoints).
    """
    if inference_id.startswith("."):
        raise BadRequestError(
            f"Invalid inference_id [{inference_id}]: ids starting with [.] are reserved for the default "
            "endpoints; choose an id that starts with a lowercase letter or digit",
            param="inference_id",
        )
    if not _ID.fullmatch(inference_id):
        raise RequestValidationError(
            [
                f"Invalid inference_id; '{inference_id}' can contain lowercase alphanumeric (a-z and 0-9), "
                "hyphens, dots or underscores; must start and end with alphanumeric and be at most 64 "
                "characters"
            ],
            param="inference_id",
        )


def parse_task_type(raw: Any) -> TaskType:
    """The task type named ``raw``.

    Raises:
        BadRequestError: ``Unknown task_type [raw]``.
    """
    try:
        return TaskType(raw)
    except ValueError:
        raise BadRequestError(f"Unknown task_type [{raw}]", param="task_type") from None


def resolve_task_type(path_value: str | None, body_value: Any) -> TaskType:
    """The task type of a create request: from the URL, the body, or both when they agree.

    Raises:
        BadRequestError: unknown, missing, or conflicting task types.
    """
    if path_value is not None and body_value is not None and path_value != body_value:
        raise BadRequestError(
            f"Cannot resolve conflicting task_type parameter in the request URL [{path_value}] and the "
            f"request body [{body_value}]",
            param="task_type",
        )
    value = path_value if path_value is not None else body_value
    if value is None:
        raise RequestValidationError(
            ["[task_type] is required: give it in the URL, PUT _inference/{task_type}/{inference_id}"],
            param="task_type",
        )
    return parse_task_type(value)


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
