"""A local model's identity for the embedding cache, read from its files and remembered a few seconds
(finding a packaged model asks the installed packages, ~1 ms: too much for every request)."""

from __future__ import annotations

import time
from collections.abc import Callable

from hfgate.local.catalog import resolve_model
from hfgate.local.engine_record import model_files_digest

# Files replaced under a running server are seen after this long.
REMEMBER_SECONDS = 5.0


class ModelIdentities:
    """``local|<digest of the model's weights and config>`` per ``service_settings.model``."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._known: dict[str, tuple[float, str]] = {}
        self._clock = clock

    def of(self, model: str) -> str:
        """The identity of ``model`` (a directory or a known model id).

        Raises:
            BadRequestError: the model cannot be found.
        """
        now = self._clock()
        known = self._known.get(model)
        if known is not None and known[0] > now:
            return known[1]
        location = resolve_model(model)
        identity = f"local|{model_files_digest(location.path, 'embed-cache')}"
        self._known[model] = (now + REMEMBER_SECONDS, identity)
        return identity
