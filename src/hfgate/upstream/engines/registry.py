"""The registries: every module of a package that names itself (``NAME``) and its protocols
(``PROTOCOLS``) is registered. Adding an engine or a provider is one new module and no edit elsewhere."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import TypeVar

from hfgate.upstream.engines.base import Kind, Protocol

P = TypeVar("P", bound=Protocol)


@dataclass(frozen=True, slots=True)
class Registered:
    """One engine or provider: its protocols by kind, and the ``owned_by`` names it reports."""

    name: str
    protocols: dict[Kind, Protocol]
    owned_by: tuple[str, ...] = ()


def collect(package: str) -> dict[str, Registered]:
    """Each module of ``package`` with ``NAME`` and ``PROTOCOLS``, by name (sorted)."""
    found: dict[str, Registered] = {}
    for module_info in pkgutil.iter_modules(importlib.import_module(package).__path__):
        module = importlib.import_module(f"{package}.{module_info.name}")
        name, protocols = getattr(module, "NAME", None), getattr(module, "PROTOCOLS", None)
        if isinstance(name, str) and isinstance(protocols, dict):
            owned_by = tuple(getattr(module, "OWNED_BY", ()))
            found[name] = Registered(name, protocols, owned_by)
    return dict(sorted(found.items()))


def protocol(registry: dict[str, Registered], name: str, kind: Kind, expected: type[P]) -> P | None:
    """The protocol ``name`` speaks for ``kind``, or ``None`` when it has none."""
    entry = registry.get(name)
    found = entry.protocols.get(kind) if entry is not None else None
    return found if isinstance(found, expected) else None
