"""Where each endpoint's model is on disk, looked up once per endpoint and then kept.

Finding a model reads the file system (a directory's check, a Hub snapshot's listing and its shard
index); a warm endpoint's requests read nothing of it again. An entry holds until the endpoint changes
or goes (``forget``, called from the service's ``release``) or a load from that place fails (the
folder was removed meanwhile: the next request looks again, and downloads again if it must).
"""

from __future__ import annotations

from typing import Any

from hfgate.local.catalog import ModelLocation
from hfgate.registry.endpoint import Endpoint

PLACING_SETTINGS = ("model", "commit", "revision", "gguf_file")
"""The settings that decide where the model is; any other change keeps the place."""


def _placing(endpoint: Endpoint) -> tuple[Any, ...]:
    settings = endpoint.service_settings
    return tuple(settings.get(name) for name in PLACING_SETTINGS)


class Placements:
    """The models' places, by inference id."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[tuple[Any, ...], ModelLocation]] = {}

    def get(self, endpoint: Endpoint) -> ModelLocation | None:
        """Where ``endpoint``'s model was found, if it was found for these settings."""
        kept = self._kept.get(endpoint.inference_id)
        return kept[1] if kept is not None and kept[0] == _placing(endpoint) else None

    def keep(self, endpoint: Endpoint, location: ModelLocation) -> None:
        self._kept[endpoint.inference_id] = (_placing(endpoint), location)

    def forget(self, endpoint: Endpoint) -> None:
        self._kept.pop(endpoint.inference_id, None)
