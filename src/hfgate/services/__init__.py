"""Services: one module per way of running a model, looked up by name in one registry."""

from __future__ import annotations

from hfgate.errors import BadRequestError
from hfgate.services.base import Service, ServiceContext
from hfgate.services.hugging_face.service import HuggingFaceService
from hfgate.services.local import LocalService

SERVICES: dict[str, type[Service]] = {
    LocalService.name: LocalService,
    HuggingFaceService.name: HuggingFaceService,
}


def service_class(name: str) -> type[Service]:
    """The service registered under ``name``.

    Raises:
        BadRequestError: ``Unknown service [name]``, as Elasticsearch says it.
    """
    try:
        return SERVICES[name]
    except KeyError:
        raise BadRequestError(f"Unknown service [{name}]", param="service") from None


__all__ = ["SERVICES", "Service", "ServiceContext", "service_class"]
