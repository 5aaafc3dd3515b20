"""Hugging Face Inference Providers, one module each: the ``router`` (OpenAI chat for every provider),
``hf-inference`` and the providers whose own routes serve embeddings.

:data:`PROVIDERS` is the registry; :func:`provider_protocol` the one lookup.
"""

from __future__ import annotations

from typing import TypeVar

from hfgate.upstream.engines.base import Kind, Protocol
from hfgate.upstream.engines.registry import Registered, collect, protocol

P = TypeVar("P", bound=Protocol)

PROVIDERS: dict[str, Registered] = collect(__name__)


def provider_protocol(provider: str, kind: Kind, expected: type[P]) -> P | None:
    """How ``provider``'s own route serves ``kind``, or ``None`` when it does not."""
    return protocol(PROVIDERS, provider, kind, expected)
