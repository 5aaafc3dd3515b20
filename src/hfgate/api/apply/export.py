"""``export``: the registry in ``apply``'s format, every secret as a ``${ENV_VAR}`` reference.

A secret ``api_key`` of endpoint ``search-emb`` becomes ``${HFGATE_SEARCH_EMB_API_KEY}``; set that
variable where ``hfgate apply`` runs. Keys are listed by name (active ones only; of several active keys
with one name, the newest's settings), never with a secret.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from hfgate.access.spend import amount
from hfgate.registry.api_keys import StoredKey
from hfgate.registry.endpoint import Endpoint


def secret_variable(inference_id: str, name: str) -> str:
    """The environment variable an exported secret refers to."""
    return "HFGATE_" + re.sub(r"[^A-Z0-9]+", "_", f"{inference_id}_{name}".upper()).strip("_")


def export_data(endpoints: list[Endpoint], keys: list[StoredKey]) -> dict[str, Any]:
    """The document: endpoints by id, then active keys by name, both sorted."""
    data: dict[str, Any] = {"endpoints": {e.inference_id: _endpoint(e) for e in sorted(endpoints, key=_id)}}
    active = sorted((key for key in keys if key.active()), key=lambda key: (key.name, key.created_at))
    data["keys"] = {key.name: _key(key) for key in active}  # the newest of a name comes last and stays
    return data


def render(data: dict[str, Any], *, fmt: str) -> str:
    """YAML (block style, keys in order) or JSON text of ``data``."""
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    text: str = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return text


def _id(endpoint: Endpoint) -> str:
    return endpoint.inference_id


def _endpoint(endpoint: Endpoint) -> dict[str, Any]:
    settings = dict(endpoint.service_settings)
    for name in sorted(endpoint.secrets):
        settings[name] = f"${{{secret_variable(endpoint.inference_id, name)}}}"
    entry: dict[str, Any] = {"task_type": endpoint.task_type.value, "service": endpoint.service}
    entry["service_settings"] = _sorted(settings)
    if endpoint.task_settings:
        entry["task_settings"] = _sorted(endpoint.task_settings)
    if endpoint.chunking_settings is not None:
        entry["chunking_settings"] = _sorted(endpoint.chunking_settings)
    return entry


def _sorted(value: Any) -> Any:
    # settings stored at create and those recorded later come in different orders: sort, so that the
    # same registry always exports the same text (and a round trip compares equal)
    if isinstance(value, dict):
        return {name: _sorted(value[name]) for name in sorted(value)}
    return value


def _key(key: StoredKey) -> dict[str, Any]:
    entry: dict[str, Any] = {"roles": list(key.roles)}
    if key.endpoints:
        entry["endpoints"] = list(key.endpoints)
    limits = {"requests_per_minute": key.requests_per_minute, "tokens_per_minute": key.tokens_per_minute,
              "usd_per_day": amount(key.day_budget), "usd_per_month": amount(key.month_budget)}  # fmt: skip
    if any(value is not None for value in limits.values()):
        entry["limits"] = {name: value for name, value in limits.items() if value is not None}
    return entry
