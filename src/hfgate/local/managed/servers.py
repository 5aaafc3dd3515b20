"""The managed servers of one hfgate process, one per model: started on first need, shared by the
endpoints that serve the same model the same way, stopped when the last of them goes or hfgate stops."""

from __future__ import annotations

import asyncio

from hfgate.local.managed.command import VllmModel, free_port
from hfgate.local.managed.server import Backoff, ManagedServer


class ManagedServers:
    """Managed vLLM servers by model.

    Args:
        backoff: the waits between restarts of each server.
    """

    def __init__(self, *, backoff: Backoff | None = None) -> None:
        self.backoff = backoff or Backoff()
        self._servers: dict[str, ManagedServer] = {}

    def ensure(self, model: VllmModel) -> ManagedServer:
        """The server for ``model``, started now (on a free port) unless it runs already."""
        key = model.key()
        server = self._servers.get(key)
        if server is None:
            server = ManagedServer(model.launch(free_port()), name=model.served_name, backoff=self.backoff)
            self._servers[key] = server
        server.start()
        return server

    def get(self, model: VllmModel) -> ManagedServer | None:
        """The server for ``model`` if one was started; starts nothing."""
        return self._servers.get(model.key())

    async def stop(self, server: ManagedServer) -> None:
        """Stop ``server`` and forget it."""
        self._servers = {key: each for key, each in self._servers.items() if each is not server}
        await server.stop()

    async def aclose(self) -> None:
        """Stop every server (hfgate is stopping)."""
        servers, self._servers = list(self._servers.values()), {}
        await asyncio.gather(*(server.stop() for server in servers))
