"""Guided-generation requests of each face turned into a :class:`~hfgate.tasks.Grammar`.

TGI: ``parameters.grammar`` ``{"type": "json", "value": schema}`` or ``{"type": "regex", "value": re}``.
OpenAI: ``response_format`` ``{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}`` or
``{"type": "json_object"}`` (any JSON object); ``{"type": "text"}`` is no constraint.
"""

from __future__ import annotations

import json
from typing import Any

from hfgate.api.body import json_type
from hfgate.errors import RequestValidationError
from hfgate.tasks import Grammar

ANY_OBJECT = '{"type": "object"}'


def tgi_grammar(raw: Any) -> Grammar | None:
    """TGI's ``grammar`` parameter.

    Raises:
        RequestValidationError: not an object with a known ``type`` and a ``value`` of the right type.
    """
    if raw is None:
        return None
    field = "parameters.grammar"
    if not isinstance(raw, dict) or raw.get("type") not in ("json", "regex"):
        raise RequestValidationError(
            [f'`grammar` must be {{"type": "json" | "regex", "value": …}}, got [{json.dumps(raw)[:200]}]'], param=field
        )
    value = raw.get("value")
    if raw["type"] == "regex":
        if not isinstance(value, str) or not value:
            raise RequestValidationError([f"`grammar.value` must be a regular expression, got [{json_type(value)}]"],
                                         param=field)  # fmt: skip
        return Grammar(kind="regex", value=value, field=field)
    return Grammar(kind="json", value=_schema_text(value, field=field), field=field)


def response_format_grammar(raw: Any) -> Grammar | None:
    """OpenAI's ``response_format``.

    Raises:
        RequestValidationError: an unknown ``type``, or a ``json_schema`` without a ``schema`` object.
    """
    if raw is None:
        return None
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return Grammar(kind="json", value=ANY_OBJECT, field="response_format")
    if kind == "json_schema":
        spec = raw.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if not isinstance(schema, dict):
            raise RequestValidationError(
                ["[response_format.json_schema.schema] must be a JSON schema object"], param="response_format"
            )
        return Grammar(kind="json", value=json.dumps(schema), field="response_format")
    raise RequestValidationError(
        [f"[response_format.type] must be one of [text, json_object, json_schema], got [{kind}]"],
        param="response_format",
    )


def _schema_text(value: Any, *, field: str) -> str:
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, str) and value.strip():
        return value
    raise RequestValidationError([f"`grammar.value` must be a JSON schema, got [{json_type(value)}]"], param=field)
