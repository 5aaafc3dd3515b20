"""What a face is: a wire protocol's metric label, the paths it owns, its error shape. Each face's
package defines its own (``FACE`` in its ``errors`` module); :mod:`hfgate.api.faces` is the table of them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hfgate.errors import HfGateError

Renderer = Callable[[str, HfGateError], tuple[int, dict[str, Any]]]
"""A face's error shape: (path, error) → (HTTP status, JSON body)."""


@dataclass(frozen=True, slots=True)
class Face:
    """One wire protocol: its metric label, the paths it owns (prefixes; whole paths in ``exact``; paths
    matching ``pattern`` inside another face's prefix), its error shape, and whether its answers carry
    Elasticsearch's product header."""

    name: str
    prefixes: tuple[str, ...]
    render: Renderer
    exact: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    product_header: bool = False
