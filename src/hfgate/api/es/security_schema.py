"""The gateway keys' and usage routes' bodies (``_security/api_key``, ``_security/_authenticate``, ``_usage``):
the OpenAPI document of :mod:`hfgate.api.es.security`'s routes; :class:`KeyRevoke` also decodes its body
(strictly: ``"true"`` is not a boolean)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["admin", "manage", "monitor", "infer"]


class KeyLimits(BaseModel):
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    usd_per_day: float | str | None = Field(default=None, description="USD the key may spend per UTC day")
    usd_per_month: float | str | None = Field(default=None, description="USD the key may spend per UTC month")


class KeyCreate(BaseModel):
    """``POST /_security/api_key``: Elasticsearch's create-API-key body (``role_descriptors``), or hfgate's
    ``roles`` and ``endpoints``; with neither, the key gets its creator's roles and endpoints."""

    model_config = ConfigDict(json_schema_extra={"example": {"name": "search-app", "roles": ["infer"]}})
    name: str
    roles: list[Role] | None = None
    endpoints: list[str] | None = Field(default=None, description="endpoint ids or patterns (team-a-*)")
    role_descriptors: dict[str, dict[str, Any]] | None = Field(
        default=None,
        description="Elasticsearch role descriptors: cluster privileges (monitor_inference, manage_inference, "
        "manage_api_key, …) and applications of [hfgate] (privileges: roles; resources: endpoint patterns)",
    )
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
    """A key in Elasticsearch's ``ApiKey`` shape, with hfgate's roles, endpoints and limits."""

    id: str
    name: str
    type: Literal["rest"] = "rest"
    creation: int
    expiration: int | None
    invalidated: bool
    invalidation: int | None = None
    username: str
    realm: str
    metadata: dict[str, Any]
    role_descriptors: dict[str, dict[str, Any]]
    roles: list[str]
    endpoints: list[str]
    limits: KeyLimits
    sort: list[Any] | None = Field(default=None, alias="_sort", description="the sort values, when sorted")


class KeyList(BaseModel):
    api_keys: list[KeyInfo]


class KeyQuery(BaseModel):
    """``POST|GET /_security/_query/api_key``: Elasticsearch's query DSL over the keys."""

    model_config = ConfigDict(
        json_schema_extra={"example": {"query": {"bool": {"filter": [{"term": {"invalidated": False}},
                                                                     {"prefix": {"name": "team-a"}}]}},
                                       "sort": [{"creation": "desc"}], "from": 0, "size": 20}}
    )  # fmt: skip
    query: dict[str, Any] | None = None
    sort: Any = None
    from_: int = Field(default=0, alias="from")
    size: int = 10


class KeysFound(BaseModel):
    total: int
    count: int
    api_keys: list[KeyInfo]


class KeyRevoke(BaseModel):
    """``DELETE /_security/api_key``: ``ids`` (or ``id``), ``name``, or ``owner``/``username``."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    id: str | None = Field(default=None, description="one key's id")
    ids: list[str] | None = Field(default=None, description="the keys' ids")
    name: str | None = Field(default=None, min_length=1, description="a key's name; a trailing * matches any ending")
    owner: bool | None = Field(default=None, description="true: every key (the caller's, an admin's)")
    username: str | None = Field(default=None, min_length=1)
    realm_name: str | None = Field(default=None, min_length=1)


class KeysRevoked(BaseModel):
    invalidated_api_keys: list[str]
    previously_invalidated_api_keys: list[str]
    error_count: int
    error_details: list[dict[str, Any]] | None = None


class KeyUpdate(BaseModel):
    """``PUT /_security/api_key/{id}``: what changes; an absent field stays as it is (empty
    ``role_descriptors``: the updater's roles and endpoints)."""

    role_descriptors: dict[str, dict[str, Any]] | None = None
    metadata: dict[str, Any] | None = None
    expiration: str | None = Field(default=None, description="from now: an Elasticsearch time value (30d)")


class KeyUpdated(BaseModel):
    updated: bool = Field(description="false when the update changed nothing")


class PrivilegesAsked(BaseModel):
    """``GET|POST /_security/user/_has_privileges``: Elasticsearch's privileges to test."""

    model_config = ConfigDict(json_schema_extra={"example": {"cluster": ["monitor_inference"], "application": [
        {"application": "hfgate", "privileges": ["infer"], "resources": ["team-a-*"]}]}})  # fmt: skip
    cluster: list[str] | None = None
    index: list[dict[str, Any]] | None = None
    application: list[dict[str, Any]] | None = None


class PrivilegesHeld(BaseModel):
    """Each asked privilege, held or not by the request's key."""

    username: str
    has_all_requested: bool
    cluster: dict[str, bool]
    index: dict[str, dict[str, bool]]
    application: dict[str, dict[str, dict[str, bool]]]


class Authenticated(BaseModel):
    """Who the request is, as Elasticsearch answers ``_authenticate``: a key's owner and realm, and the key
    itself (``null`` when the gateway is open)."""

    username: str
    roles: list[str]
    full_name: str | None
    email: str | None
    metadata: dict[str, Any]
    enabled: bool
    authentication_realm: dict[str, str]
    lookup_realm: dict[str, str]
    authentication_type: str
    api_key: dict[str, Any] | None


class UsageLine(BaseModel):
    hour: str | None = Field(default=None, description="the hour the line counts (``2026-11-26T08:00:00Z``)")
    day: str | None = Field(default=None, description="with ``?by=day``, the UTC day instead (``2026-11-26``)")
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
    cost_micros: int = 0
    """What the line's requests cost at their endpoint's price, in micro-dollars (docs/prices-and-budgets.md)."""
    cost_usd: str = "0.000000"
    """The same in dollars, as an exact decimal string."""


class UsageReport(BaseModel):
    """``GET /_usage``: one line per hour × key × endpoint × task type, and the totals."""

    usage: list[UsageLine]
    totals: dict[str, int | str] = Field(description="each summed count, and ``cost_usd`` as an exact decimal string")
