"""The ``local`` service's generation through a managed vLLM (see :mod:`.managed_vllm`): the task
methods of endpoints it serves, handed to the ``hugging_face`` client; every other endpoint goes on to
the in-process generation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from hfgate.local.managed.server import ManagedServer
from hfgate.registry.endpoint import Endpoint
from hfgate.services.local.generation import GeneratingModels
from hfgate.services.local.managed_vllm import ManagedVllm, answering, streamed
from hfgate.tasks import ChatRequest, GenerateRequest, Generation, GenerationDelta


class ManagedVllmModels(GeneratingModels):
    """Generation endpoints served by a managed vLLM, before the in-process generation they extend."""

    _managed: ManagedVllm  # set by the service's constructor

    async def generate(self, endpoint: Endpoint, request: GenerateRequest) -> Generation:
        if not self._managed.applies(endpoint):
            return await super().generate(endpoint, request)
        server, via = await self._serving(endpoint)
        with answering(endpoint, server):
            return await self._managed.client.generate(via, request)

    def generate_stream(self, endpoint: Endpoint, request: GenerateRequest) -> AsyncIterator[GenerationDelta]:
        if not self._managed.applies(endpoint):
            return super().generate_stream(endpoint, request)
        return self._managed_stream(endpoint, lambda via: self._managed.client.generate_stream(via, request))

    async def chat(self, endpoint: Endpoint, request: ChatRequest) -> Generation:
        if not self._managed.applies(endpoint):
            return await super().chat(endpoint, request)
        server, via = await self._serving(endpoint)
        with answering(endpoint, server):
            return await self._managed.client.chat(via, request)

    def chat_stream(self, endpoint: Endpoint, request: ChatRequest) -> AsyncIterator[GenerationDelta]:
        if not self._managed.applies(endpoint):
            return super().chat_stream(endpoint, request)
        return self._managed_stream(endpoint, lambda via: self._managed.client.chat_stream(via, request))

    async def count_chat_tokens(self, endpoint: Endpoint, request: ChatRequest) -> int:
        if not self._managed.applies(endpoint):
            return await super().count_chat_tokens(endpoint, request)
        # Not the in-process model (a second copy of the weights): the caller estimates from the texts.
        return await self._managed.client.count_chat_tokens(endpoint, request)

    async def _managed_stream(self, endpoint: Endpoint, open_stream: Any) -> AsyncIterator[GenerationDelta]:
        server, via = await self._serving(endpoint)
        async for delta in streamed(endpoint, server, open_stream(via)):
            yield delta

    async def _serving(self, endpoint: Endpoint) -> tuple[ManagedServer, Endpoint]:
        """The endpoint's server (started if it is not) and the endpoint as its client reaches it.

        Raises:
            ModelNotReadyError: the server is starting or restarting, or the Hub model is downloading.
        """
        server = await self._managed_server(endpoint)
        return server, self._managed.served(endpoint, server)

    async def _managed_server(self, endpoint: Endpoint) -> ManagedServer:
        snapshot = await asyncio.to_thread(self._snapshot, endpoint)
        self._managed.snapshots[endpoint.inference_id] = snapshot
        return self._managed.servers.ensure(self._managed.model(endpoint, snapshot))

    def _snapshot(self, endpoint: Endpoint) -> Path:
        """The model's directory in transformers' format (a GGUF model converted once)."""
        location = self._location(endpoint)
        return location.path if location.gguf_file is None else self._converted(location)

    async def _check_managed(self, endpoint: Endpoint) -> Endpoint:
        """A managed endpoint at create: its task recorded, its server started (not waited for)."""
        choice = self._managed.check()
        checked = await self._record_task(endpoint)
        await (await self._managed_server(checked)).spawned()  # so that the answer shows its pid
        return checked.evolve(service_settings={**checked.service_settings, "engine_choice": choice})

    def _observed_managed(self, endpoint: Endpoint) -> dict[str, Any]:
        """Its server's state and device; a Hub model's download state until its server is started."""
        server = self._managed.server_of(endpoint)
        if server is None and (state := self._hub_state(endpoint)):
            return {"model_state": state}
        return self._managed.observed(server)

    async def _release_managed(self, endpoint: Endpoint, *, still_used: Sequence[Endpoint]) -> None:
        """Stop ``endpoint``'s server unless another endpoint still served by it remains."""
        server = self._managed.server_of(endpoint)
        if server is not None and all(self._managed.server_of(other) is not server for other in still_used):
            await self._managed.servers.stop(server)
        if all(other.inference_id != endpoint.inference_id for other in still_used):  # deleted, not updated
            self._managed.snapshots.pop(endpoint.inference_id, None)
