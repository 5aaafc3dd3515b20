"""Serving engines hfgate speaks to by url, one module each: ``tei``, ``tgi``, ``vllm``, ``sglang``,
``llamacpp``, any ``openai``-compatible server, and ``pipeline`` (a url used as given).

:data:`ENGINES` is the registry; :func:`engine_protocol` the one lookup.
"""

from __future__ import annotations

from typing import TypeVar

from hfgate.upstream.engines.base import Kind, Protocol
from hfgate.upstream.engines.registry import Registered, collect, protocol

P = TypeVar("P", bound=Protocol)

ENGINES: dict[str, Registered] = collect(__name__)


def engine_protocol(engine: str, kind: Kind, expected: type[P]) -> P | None:
    """How ``engine`` serves ``kind``, or ``None`` when it does not."""
    return protocol(ENGINES, engine, kind, expected)


def image_engines() -> list[str]:
    """The engines that embed images (an ``image_embed`` protocol), by name.

    Example:
        >>> image_engines()
        ['infinity']
    """
    return [name for name, entry in ENGINES.items() if "image_embed" in entry.protocols]


def engine_owning(owned_by: str) -> str:
    """The engine whose ``/v1/models`` entries say ``owned_by``; ``openai`` for any other server."""
    return next((e.name for e in ENGINES.values() if owned_by in e.owned_by), "openai")
