"""The ``hugging_face`` service's settings as one typed, frozen object, read once per call.

The registry stores ``service_settings`` as a JSON map (checked against the declarations in
:mod:`.settings`); everything below the service reads this object instead of string keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfgate.services.hugging_face.settings import DEFAULT_REQUESTS_PER_MINUTE

POLICIES = ("fastest", "cheapest", "preferred")
AUTO = "auto"


@dataclass(frozen=True, slots=True, kw_only=True)
class HfSettings:
    """Where and how an endpoint of the ``hugging_face`` service is reached.

    ``engine``, ``model_name``, ``served_model``, ``context_window``, ``takes_images``, ``served_by``,
    ``provider_model`` and ``task`` are recorded at create (or given by the user to override what was detected).
    """

    url: str | None = None
    urls: tuple[str, ...] = ()
    model_id: str | None = None
    provider: str = AUTO
    engine: str | None = None
    model_name: str | None = None
    served_model: str | None = None
    served_by: str | None = None
    provider_model: str | None = None
    task: str | None = None
    namespace: str | None = None
    max_input_tokens: int | None = None
    context_window: int | None = None
    takes_images: bool | None = None
    requests_per_minute: float = DEFAULT_REQUESTS_PER_MINUTE
    session_affinity: bool = True

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> HfSettings:
        """The typed view of a stored ``service_settings`` map.

        Example:
            >>> HfSettings.of({"url": "http://vllm:8000", "engine": "vllm"}).server_url
            'http://vllm:8000'
        """
        limit = raw.get("rate_limit") or {}
        return cls(
            url=_str(raw.get("url")),
            urls=tuple(str(u) for u in raw.get("urls") or ()),
            model_id=_str(raw.get("model_id")),
            provider=policy_free(_str(raw.get("provider")) or AUTO),
            engine=_str(raw.get("engine")),
            model_name=_str(raw.get("model_name")),
            served_model=_str(raw.get("served_model")),
            served_by=_str(raw.get("served_by")),
            provider_model=_str(raw.get("provider_model")),
            task=_str(raw.get("task")),
            namespace=_str(raw.get("namespace")),
            max_input_tokens=raw.get("max_input_tokens"),
            context_window=raw.get("context_window"),
            takes_images=raw.get("takes_images"),
            requests_per_minute=limit.get("requests_per_minute", DEFAULT_REQUESTS_PER_MINUTE),
            session_affinity=raw.get("session_affinity") is not False,
        )

    @property
    def server_url(self) -> str | None:
        """The server's url (the first replica's with several ``urls``); ``None`` for a hosted model."""
        return self.urls[0] if self.urls else self.url

    @property
    def policy(self) -> str | None:
        """The router policy (``fastest``, ``cheapest``, ``preferred``) when ``provider`` names one."""
        return self.provider if self.provider in POLICIES else None


def policy_free(provider: str) -> str:
    """``provider`` without the ``:`` a policy may be written with (``:fastest`` → ``fastest``)."""
    return provider.removeprefix(":").strip().lower()


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
