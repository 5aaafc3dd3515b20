"""``/v1/responses`` passed to the router for an endpoint by ``model_id``: the router serves the Responses
API for every chat model it routes (:mod:`hfgate.upstream.wire.responses` cites how), so the request goes
there as the client wrote it and the answer comes back as the router wrote it. An endpoint by ``url``
(vLLM, TGI, SGLang, llama.cpp…) has its ``/v1/responses`` translated to a chat by the face instead: not
every engine serves the route, and those that do differ in what they keep.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from hfgate.services.hugging_face.routing import Route
from hfgate.tasks import RelayedEvent, RelayedResponse, ResponsesRelay
from hfgate.upstream.http import failures
from hfgate.upstream.http.client import Call, Seen, UpstreamClient
from hfgate.upstream.wire.responses import (
    final_response,
    parse_event,
    parse_response,
    relay_body,
    response_usage,
    responses_url,
)


async def respond(
    upstream: UpstreamClient, call: Call, route: Route, request: ResponsesRelay, *, seen: Seen
) -> RelayedResponse:
    """The router's answer to ``request``, whole."""
    payload = relay_body(request.body, model=route.address.model, history=request.history, stream=False)
    url = responses_url(route.address.root)
    body = await upstream.post_json(call, url, payload=payload, parse=parse_response, seen=seen)
    return RelayedResponse(body=body, usage=response_usage(body))


async def respond_stream(
    upstream: UpstreamClient, call: Call, route: Route, request: ResponsesRelay, *, seen: Seen
) -> AsyncIterator[RelayedEvent]:
    """The router's stream events, each as it sent it.

    Raises:
        UpstreamError: the stream ended before the router's final event.
    """
    payload = relay_body(request.body, model=route.address.model, history=request.history, stream=True)
    url = responses_url(route.address.root)
    ended = False
    async for event in upstream.stream_events(call, url, payload=payload, parse=parse_event, seen=seen):
        final = final_response(event)
        done = None if final is None else RelayedResponse(body=final, usage=response_usage(final))
        ended = ended or done is not None
        yield RelayedEvent(data=event, final=done)
    if not ended:  # the router's stream has no [DONE]: only its final event says the answer is whole
        raise failures.stream_cut(inference_id=call.inference_id, url=url)
