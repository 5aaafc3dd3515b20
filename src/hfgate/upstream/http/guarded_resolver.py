"""A DNS resolver that refuses names resolving to link-local or cloud metadata addresses.

A url's host is checked at create (:mod:`hfgate.upstream.http.url_policy`), but a name can resolve elsewhere later
(or differently each time): this resolver checks every address the upstream transport is about to
connect to, on every new connection, so ``http://metadata.attacker.example`` pointing at
``169.254.169.254`` is refused when the request is made.
"""

from __future__ import annotations

import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from hfgate.upstream.http.url_policy import forbidden_address


class ForbiddenAddressLookupError(OSError):
    """The name resolved only to addresses hfgate never calls (aiohttp wraps it in its DNS error)."""

    def __init__(self, host: str, addresses: list[str]) -> None:
        super().__init__(f"[{host}] resolves to [{', '.join(addresses)}], a link-local or cloud metadata address")
        self.host = host


class GuardedResolver(AbstractResolver):
    """aiohttp's default resolver, minus the forbidden addresses; refuses a name left with none."""

    def __init__(self, inner: AbstractResolver | None = None) -> None:
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        allowed = [answer for answer in answers if not forbidden_address(answer["host"])]
        if not allowed:
            raise ForbiddenAddressLookupError(host, [answer["host"] for answer in answers])
        return allowed

    async def close(self) -> None:
        await self._inner.close()
