"""An inference endpoint as the registry stores it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from hfgate.tasks import TaskType


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """A named endpoint: which service runs which task with which settings.

    ``secrets`` holds decrypted secret settings (``api_key``…) in memory only; :meth:`public` never
    includes them.
    """

    inference_id: str
    task_type: TaskType
    service: str
    service_settings: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    task_settings: dict[str, Any] = field(default_factory=dict)
    chunking_settings: dict[str, Any] | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    def public(self) -> dict[str, Any]:
        """The Elasticsearch-shaped description returned by PUT and GET (no secrets)."""
        body: dict[str, Any] = {
            "inference_id": self.inference_id,
            "task_type": self.task_type.value,
            "service": self.service,
            "service_settings": self.service_settings,
        }
        if self.chunking_settings is not None:
            body["chunking_settings"] = self.chunking_settings
        if self.task_settings:
            body["task_settings"] = self.task_settings
        return body

    def served(self) -> Endpoint:
        """The endpoint as its service sees it: Elasticsearch's ``embedding`` task runs the service's
        text_embedding models (stored and shown as ``embedding``, served as ``text_embedding``)."""
        kind = served_kind(self.task_type)
        return self if kind is self.task_type else replace(self, task_type=kind)

    def evolve(self, **changes: Any) -> Endpoint:
        """A copy with ``changes`` applied and ``updated_at`` set to now."""
        return replace(self, updated_at=utcnow(), **changes)


def served_kind(task_type: TaskType) -> TaskType:
    """The task type a service runs for ``task_type`` (``embedding``: ``text_embedding``)."""
    return TaskType.TEXT_EMBEDDING if task_type is TaskType.EMBEDDING else task_type
