"""What a shared tier is to the cache: a store several processes read (Redis, or the disk tier)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class SharedTier(Protocol):
    """A tier several processes read: Redis or the disk file."""

    name: str

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]: ...

    async def put_many(self, items: Sequence[tuple[str, bytes]]) -> None: ...

    async def drop_prefix(self, prefix: str) -> int: ...

    async def aclose(self) -> None: ...
