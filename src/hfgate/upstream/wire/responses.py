"""OpenAI's Responses API passed through to Hugging Face's router (``POST {router}/v1/responses``).

Sources:
- HF docs ``inference-providers/guides/responses-api.md`` (added 2025-10): the route, "All Inference
  Providers chat completion models should be compatible", streamed ``response.*`` events, function tools;
  its multi-turn example sends the whole conversation in ``input``.
- The server behind the route is huggingface/responses.js (``chart/env/prod.yaml`` serves
  ``router.huggingface.co``). It keeps no state: its README lists "stateful API" and the GET / DELETE
  routes as not implemented, and its request schema (``src/schemas.ts``) leaves ``previous_response_id``
  and ``store`` out, so they are dropped unread. hfgate therefore puts the stored conversation before
  ``input`` itself and sends neither field.
- A stream is one ``data: {json}`` per event, without ``event:`` lines or ``[DONE]``; its last event is
  ``response.completed`` (or ``response.failed``) carrying the whole response
  (``src/routes/responses.ts``). A whole answer is that final response object.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hfgate.tasks import Usage
from hfgate.upstream.wire.common import WireFormatError, as_dict

ROUTE = "/v1/responses"
LEFT_OUT = ("previous_response_id", "store")
"""Fields the router drops unread; hfgate answers them itself (the stored conversation, its own store)."""
FINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


def responses_url(root: str) -> str:
    """The route under the router's root.

    Example:
        >>> responses_url("https://router.huggingface.co/")
        'https://router.huggingface.co/v1/responses'
    """
    return root.rstrip("/") + ROUTE


def relay_body(
    body: Mapping[str, Any], *, model: str, history: tuple[Mapping[str, Any], ...], stream: bool
) -> dict[str, Any]:
    """The client's body for the router: ``model`` as the router names it (``id:provider``), the stored
    conversation before ``input``, and no ``previous_response_id`` or ``store``."""
    sent = {k: v for k, v in body.items() if k not in LEFT_OUT}
    sent |= {"model": model, "stream": stream}
    if history:
        sent["input"] = [*history, *_as_items(body.get("input"))]
    return sent


def _as_items(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": value}]}]
    return list(value) if isinstance(value, list) else []


def parse_response(body: Any) -> dict[str, Any]:
    """A ``response`` object, as it is.

    Raises:
        WireFormatError: it has no ``id`` or no ``output`` list.
    """
    response = as_dict(body, "the response")
    if not isinstance(response.get("id"), str) or not isinstance(response.get("output"), list):
        raise WireFormatError("the response has no [id] string or no [output] array")
    return response


def parse_event(body: Any) -> dict[str, Any]:
    """One stream event, as it is.

    Raises:
        WireFormatError: it has no ``type``.
    """
    event = as_dict(body, "a response stream event")
    if not isinstance(event.get("type"), str):
        raise WireFormatError("a response stream event has no [type]")
    return event


def final_response(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The whole response an event ends the stream with, if it is such an event."""
    response = event.get("response")
    return response if event.get("type") in FINAL_EVENTS and isinstance(response, dict) else None


def response_usage(response: Mapping[str, Any]) -> Usage:
    """The response's ``usage`` (``input_tokens``, ``output_tokens``), zero where missing."""
    usage = response.get("usage")
    if not isinstance(usage, dict):
        return Usage()
    read, written = usage.get("input_tokens"), usage.get("output_tokens")
    return Usage(
        prompt_tokens=read if isinstance(read, int) else 0, completion_tokens=written if isinstance(written, int) else 0
    )
