"""Where the Hub is and where its files go: read once from ``Settings`` (``HF_ENDPOINT``,
``HF_HUB_CACHE``, ``HF_HUB_OFFLINE``, ``HF_TOKEN`` by default), passed to every ``huggingface_hub`` call.

``huggingface_hub`` reads those variables into ``huggingface_hub.constants`` when it is imported; we
pass ``endpoint=``, ``cache_dir=``, ``token=`` and ``local_files_only=`` explicitly instead, so a
setting changed after import (a test, an app with its own settings) is honoured.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hfgate.config import Settings


@dataclass(frozen=True, slots=True, kw_only=True)
class HubSource:
    """The Hub to ask, the cache to fill, and how."""

    endpoint: str
    cache_dir: Path
    offline: bool
    token: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, token: str | None = None) -> HubSource:
        """``token`` (an endpoint's ``api_key``) over ``HFGATE_HF_TOKEN``; with neither, ``None`` lets
        huggingface_hub use its own (``HF_TOKEN``, or the saved login). Offline unless told, when
        huggingface_hub is (``HF_HUB_OFFLINE``, read at its import)."""
        from huggingface_hub import constants

        configured = settings.hf_token.get_secret_value() if settings.hf_token is not None else None
        return cls(
            endpoint=settings.hf_hub_url.rstrip("/"),
            cache_dir=settings.hf_hub_cache or Path(constants.HF_HUB_CACHE),
            offline=constants.HF_HUB_OFFLINE if settings.hf_hub_offline is None else settings.hf_hub_offline,
            token=token or configured,
        )

    def model_dir(self, repo_id: str) -> Path:
        """The repository's folder in the cache (huggingface_hub ``file_download.repo_folder_name``)."""
        return self.cache_dir / ("models--" + repo_id.replace("/", "--"))

    def snapshot(self, repo_id: str, commit: str) -> Path:
        return self.model_dir(repo_id) / "snapshots" / commit
