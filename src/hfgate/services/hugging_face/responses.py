"""``/v1/responses`` passed to the router for an endpoint by ``model_id``: the router serves the Responses
API for every chat model it routes (:mod:`hfgate.upstream.wire.responses` cites how), so the request goes
there as the client wrote it and the answer comes back as the router wrote it. An endpoint by ``url``
(vLLM, TGI, SGLang, llama.cpp…) has its ``/v1/responses`` translated to a chat by the face instead: not
every engine serves the route, and those that do differ in what they keep.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import ServiceContext
from hfgate.services.hugging_face.calls import answered, call_for
from hfgate.services.hugging_face.routing import ROUTER, PickedRoutes
from hfgate.tasks import RelayedEvent, RelayedResponse, ResponsesRelay, TaskType
from hfgate.upstream.engines.base import ChatProtocol
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


class RelaysResponses:
    """The ``hugging_face`` service's part that sends Responses API requests of router endpoints to the
    router (mixed into :class:`~hfgate.services.hugging_face.service.HuggingFaceService`, whose upstream
    client, picked routes and settings it uses)."""

    upstream: UpstreamClient
    context: ServiceContext
    _picked: PickedRoutes

    def relays_responses(self, endpoint: Endpoint) -> bool:
        """A chat endpoint whose chat goes to the router."""
        if endpoint.task_type is not TaskType.CHAT_COMPLETION:
            return False
        _, _, route = self._picked.get(endpoint, "chat", ChatProtocol, config=self.context.settings)
        return route.by == ROUTER

    async def respond(self, endpoint: Endpoint, request: ResponsesRelay) -> RelayedResponse:
        url, payload, call, seen = self._relay(endpoint, request, stream=False)
        body = await self.upstream.post_json(call, url, payload=payload, parse=parse_response, seen=seen)
        return RelayedResponse(body=body, usage=response_usage(body))

    async def respond_stream(self, endpoint: Endpoint, request: ResponsesRelay) -> AsyncIterator[RelayedEvent]:
        url, payload, call, seen = self._relay(endpoint, request, stream=True)
        ended = False
        async for event in self.upstream.stream_events(call, url, payload=payload, parse=parse_event, seen=seen):
            final = final_response(event)
            done = None if final is None else RelayedResponse(body=final, usage=response_usage(final))
            ended = ended or done is not None
            yield RelayedEvent(data=event, final=done)
        if not ended:  # the router's stream has no [DONE]: only its final event says the answer is whole
            raise failures.stream_cut(inference_id=call.inference_id, url=url)

    def _relay(
        self, endpoint: Endpoint, request: ResponsesRelay, *, stream: bool
    ) -> tuple[str, dict[str, Any], Call, Seen]:
        settings, _, route = self._picked.get(endpoint, "chat", ChatProtocol, config=self.context.settings)
        payload = relay_body(request.body, model=route.address.model, history=request.history, stream=stream)
        call = call_for(endpoint, settings, route, request=request)
        return responses_url(route.address.root), payload, call, answered(endpoint, route)
