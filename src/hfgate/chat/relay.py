"""A Responses API conversation relayed to an upstream that serves that API itself, and what comes back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hfgate.tasks import Usage


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponsesRelay:
    """A Responses API request (``POST /v1/responses``) for an upstream that serves that API itself.

    ``body`` is the request as the client sent it (already checked by the face); ``history`` the items
    of the stored conversation ``previous_response_id`` continues, oldest first (the upstream keeps no
    state, so they travel before the request's own input).
    """

    body: Mapping[str, Any]
    history: tuple[Mapping[str, Any], ...] = ()
    timeout: float = 120.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayedResponse:
    """The upstream's ``response`` object, unchanged, and its token counts."""

    body: dict[str, Any]
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayedEvent:
    """One stream event of a relayed response, as the upstream sent it; ``final`` holds the whole
    response on the event that ends the stream (``response.completed``, ``…incomplete``, ``…failed``)."""

    data: dict[str, Any]
    final: RelayedResponse | None = None
