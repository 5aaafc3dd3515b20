"""The fake Hugging Face server, also noting when each request arrived (rate-limit measurements)."""

from __future__ import annotations

import time

from aiohttp import web

from tests.fakes.hf_server import FakeHF


class TimedFakeHF(FakeHF):
    """:class:`FakeHF` with ``arrivals``: (monotonic seconds, path) of every request, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[float, str]] = []

    def arrived(self, prefix: str) -> list[float]:
        """Arrival times of the requests under ``prefix``."""
        return [at for at, path in self.arrivals if path.startswith(prefix)]

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.arrivals.append((time.monotonic(), request.path))
        return await super()._dispatch(request)
