"""A JSON schema as a local model is held to it: objects closed, the JSON written on one line.

Two choices for small models, applied to every JSON grammar a local model is held to (``response_format``,
TGI's ``grammar``, the tool-call grammars): an object schema that lists ``properties`` and says nothing of
``additionalProperties`` is closed (as OpenAI's strict mode requires it to be), since a small model
otherwise invents properties until it runs out of tokens (LangChain's and the Agents SDK's schemas often
leave it out); and the JSON is written on one line (``{"city": "Paris"}``, llguidance's ``x-guidance``
options), which spends no tokens on indentation (SmolLM2 otherwise indents, and with free whitespace may
write nothing else until the token limit). A schema that gives its own ``x-guidance`` keeps it.
"""

from __future__ import annotations

from typing import Any

ONE_LINE = {"whitespace_flexible": False, "key_separator": ": ", "item_separator": ", "}
_SUBSCHEMAS = ("items", "additionalItems", "not", "if", "then", "else")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")


def compact(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` closed, and written on one line unless it says how."""
    out: dict[str, Any] = closed(schema)
    return out if "x-guidance" in out else {**out, "x-guidance": ONE_LINE}


def closed(schema: Any) -> Any:
    """``schema`` with each object that lists ``properties`` closed unless it says otherwise."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    for key in _SUBSCHEMAS:
        if key in out:
            out[key] = closed(out[key])
    for key in _SCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [closed(item) for item in out[key]]
    for key in _SCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {name: closed(item) for name, item in out[key].items()}
    return out
