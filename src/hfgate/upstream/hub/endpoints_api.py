"""The Inference Endpoints management API: does a url belong to a namespace, and what does it serve.

``GET {HFGATE_HF_ENDPOINTS_URL}/endpoint/{namespace}`` lists a user's or organization's endpoints;
each item has ``status.url``, ``status.state``, ``model.repository`` and ``model.task``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hfgate.errors import ValidationCallError
from hfgate.upstream.http.client import Call, UpstreamClient
from hfgate.upstream.http.failures import AUTH_STATUSES, token_refused
from hfgate.upstream.wire.common import WireFormatError, as_dict, sub_dict

EMBEDDING_TASKS = frozenset({"feature-extraction", "sentence-similarity", "sentence-embeddings"})
_UNUSABLE_STATES = {"paused": "is paused: resume it on its page", "failed": "has failed: check its logs"}


@dataclass(frozen=True, slots=True, kw_only=True)
class EndpointItem:
    """One Inference Endpoint as the management API describes it."""

    name: str
    url: str
    state: str
    repository: str
    task: str


async def find_endpoint(client: UpstreamClient, call: Call, *, base: str, namespace: str, url: str) -> EndpointItem:
    """The endpoint of ``namespace`` whose url is ``url``.

    Raises:
        ValidationCallError: the namespace is unknown or has no endpoint at ``url``.
        UpstreamAuthError: the API refused the token.
    """
    listing = f"{base.rstrip('/')}/endpoint/{namespace}"
    response = await client.get_response(call, listing)
    if response.status in AUTH_STATUSES:
        raise token_refused(
            api="The Inference Endpoints API",
            subject=f"namespace [{namespace}]",
            status=response.status,
            fix="it must be a token of a user who can see that namespace's endpoints.",
        )
    if response.status == 404:
        raise _invalid(
            f"User Name or Organization Name is invalid: namespace [{namespace}] was not found by the "
            f"Inference Endpoints API at [{base}]. Give the user or organization that owns the endpoint (the "
            "first part of the endpoint's address on its page).",
        )
    items = client.decode(call, listing, body=response.body, parse=parse_endpoints)
    return _matching(items, namespace=namespace, url=url)


def parse_endpoints(body: Any) -> list[EndpointItem]:
    """The items of ``{"items": [...]}``."""
    items = as_dict(body, "the endpoint list").get("items")
    if not isinstance(items, list):
        raise WireFormatError("the endpoint list has no [items]")
    return [_item(as_dict(raw, "an endpoint")) for raw in items]


def _item(raw: dict[str, Any]) -> EndpointItem:
    status, model = sub_dict(raw, "status"), sub_dict(raw, "model")
    return EndpointItem(
        name=str(raw.get("name", "")),
        url=str(status.get("url") or ""),
        state=str(status.get("state", "")),
        repository=str(model.get("repository", "")),
        task=str(model.get("task", "")),
    )


def _matching(items: list[EndpointItem], *, namespace: str, url: str) -> EndpointItem:
    wanted = url.rstrip("/")
    found = next((item for item in items if item.url and item.url.rstrip("/") == wanted), None)
    if found is None:
        known = ", ".join(f"{i.name}: {i.url or 'no url yet'}" for i in items) or "none"
        raise _invalid(
            f"No Inference Endpoint of namespace [{namespace}] has the url [{url}] (its endpoints: "
            f"[{known}]). Copy the url from the endpoint's page, or give the namespace that owns it.",
            param="service_settings.url",
        )
    if found.state in _UNUSABLE_STATES:
        reason = f"Inference Endpoint [{found.name}] {_UNUSABLE_STATES[found.state]}."
        raise _invalid(reason, param="service_settings.url")
    if found.task not in EMBEDDING_TASKS:
        raise _invalid(
            f"Model Name [{found.repository}] is invalid for text_embedding: Inference Endpoint "
            f"[{found.name}] serves it for task [{found.task}], not one of "
            f"({', '.join(sorted(EMBEDDING_TASKS))}). Please check it on the inference endpoints console.",
            param="service_settings.url",
        )
    return found


def _invalid(reason: str, *, param: str = "service_settings.namespace") -> ValidationCallError:
    return ValidationCallError(reason, param=param)
