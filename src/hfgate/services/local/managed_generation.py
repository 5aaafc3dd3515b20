"""The ``local`` service's generation through a managed vLLM (see :mod:`.managed_vllm`): the model object
of the endpoints it serves, which hands each request to the ``hugging_face`` client of the endpoint's
server, and what the service does for them at create, when shown and when released."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from hfgate.local.managed.server import ManagedServer
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import Model, Service
from hfgate.services.local.base import LocalModel, LocalModels
from hfgate.services.local.generation import record_task
from hfgate.services.local.managed_vllm import ManagedVllm, answering, streamed
from hfgate.tasks import ChatRequest, GenerateRequest, Generation, GenerationDelta


class ManagedVllmModel(LocalModel[Any]):
    """A generation endpoint served by a managed vLLM."""

    def __init__(self, service: Service, endpoint: Endpoint, *, models: LocalModels, managed: ManagedVllm) -> None:
        super().__init__(service, endpoint, models=models)
        self.managed = managed

    async def load(self) -> None:
        await self.server()  # started, not waited for: requests answer 503 meanwhile

    async def generate(self, request: GenerateRequest) -> Generation:
        server, via = await self._serving()
        with answering(self.endpoint, server):
            return await via.generate(request)

    def generate_stream(self, request: GenerateRequest) -> AsyncIterator[GenerationDelta]:
        return self._stream(lambda via: via.generate_stream(request))

    async def chat(self, request: ChatRequest) -> Generation:
        server, via = await self._serving()
        with answering(self.endpoint, server):
            return await via.chat(request)

    def chat_stream(self, request: ChatRequest) -> AsyncIterator[GenerationDelta]:
        return self._stream(lambda via: via.chat_stream(request))

    # count_chat_tokens: not on an in-process copy of the weights; the caller estimates from the texts.

    async def checked(self) -> Endpoint:
        """At create: the task recorded, the server started (not waited for, so that the answer shows its pid)."""
        choice = self.managed.check()
        checked = await record_task(self.models, self.endpoint)
        await (
            await ManagedVllmModel(self.service, checked, models=self.models, managed=self.managed).server()
        ).spawned()
        return checked.evolve(service_settings={**checked.service_settings, "engine_choice": choice})

    async def server(self) -> ManagedServer:
        """The endpoint's server, started if it is not."""
        snapshot = await asyncio.to_thread(self._snapshot)
        self.managed.snapshots[self.endpoint.inference_id] = snapshot
        return self.managed.servers.ensure(self.managed.model(self.endpoint, snapshot))

    async def _stream(
        self, open_stream: Callable[[Model], AsyncIterator[GenerationDelta]]
    ) -> AsyncIterator[GenerationDelta]:
        server, via = await self._serving()
        async for delta in streamed(self.endpoint, server, open_stream(via)):
            yield delta

    async def _serving(self) -> tuple[ManagedServer, Model]:
        """The endpoint's server (started if it is not) and the model object its client reaches it by.

        Raises:
            ModelNotReadyError: the server is starting or restarting, or the Hub model is downloading.
        """
        server = await self.server()
        return server, self.managed.served(self.endpoint, server)

    def _snapshot(self) -> Path:
        """The model's directory in transformers' format (a GGUF model converted once)."""
        location = self.location()
        return location.path if location.gguf_file is None else self.models.converted(location)


def observed_managed(managed: ManagedVllm, models: LocalModels, endpoint: Endpoint) -> dict[str, Any]:
    """Its server's state and device; a Hub model's download state until its server is started."""
    server = managed.server_of(endpoint)
    if server is None and (state := models.hub_state(endpoint)):
        return {"model_state": state}
    return managed.observed(server)


async def release_managed(managed: ManagedVllm, endpoint: Endpoint, *, still_used: Sequence[Endpoint]) -> None:
    """Stop ``endpoint``'s server unless another endpoint still served by it remains."""
    server = managed.server_of(endpoint)
    if server is not None and all(managed.server_of(other) is not server for other in still_used):
        await managed.servers.stop(server)
    if all(other.inference_id != endpoint.inference_id for other in still_used):  # deleted, not updated
        managed.snapshots.pop(endpoint.inference_id, None)
