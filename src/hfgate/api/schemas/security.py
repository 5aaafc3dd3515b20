"""The gateway keys' and usage routes' bodies (``_security/api_key``, ``_security/_authenticate``, ``_usage``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["admin", "manage", "monitor", "infer"]


class KeyLimits(BaseModel):
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None


class KeyCreate(BaseModel):
    """``POST /_security/api_key``: modelled on Elasticsearch's create-API-key body."""

    model_config = ConfigDict(json_schema_extra={"example": {"name": "search-app", "roles": ["infer"]}})
    name: str
    roles: list[Role]
    endpoints: list[str] | None = Field(default=None, description="endpoint ids or patterns (team-a-*)")
    expiration: str | None = Field(default=None, description="an Elasticsearch time value: 30d, 12h, 90m")
    limits: KeyLimits | None = None
    metadata: dict[str, Any] | None = None


class KeyCreated(BaseModel):
    """The only answer that shows the secret: send ``encoded`` as ``Authorization: ApiKey <encoded>``."""

    id: str
    name: str
    expiration: int | None = None
    api_key: str
    encoded: str


class KeyInfo(BaseModel):
    id: str
    name: str
    creation: int
    expiration: int | None
    invalidated: bool
    invalidation: int | None = None
    roles: list[str]
    endpoints: list[str]
    limits: KeyLimits


class KeyList(BaseModel):
    api_keys: list[KeyInfo]


class KeyRevoke(BaseModel):
    """``DELETE /_security/api_key``: ``ids`` or ``name``."""

    ids: list[str] | None = None
    name: str | None = None


class KeysRevoked(BaseModel):
    invalidated_api_keys: list[str]
    previously_invalidated_api_keys: list[str]
    error_count: int
    error_details: list[dict[str, Any]]


class Authenticated(BaseModel):
    """The request's own key (``null`` when the gateway is open)."""

    api_key: dict[str, Any] | None


class UsageLine(BaseModel):
    hour: str
    key_id: str
    key_name: str
    inference_id: str
    task_type: str
    requests: int
    errors: int
    statuses: dict[str, int]
    input_tokens: int
    output_tokens: int
    latency_ms_avg: float
    latency_ms_max: float
    cached_texts: int = 0
    """Texts the embedding cache answered (no tokens sent upstream for them)."""


class UsageReport(BaseModel):
    """``GET /_usage``: one line per hour × key × endpoint × task type, and the totals."""

    usage: list[UsageLine]
    totals: dict[str, int]
