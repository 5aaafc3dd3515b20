"""Reading JSON request bodies and their fields, with messages that name the field and the fix."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from hfgate.errors import EmptyInputError, ParseError, RequestValidationError


async def json_object(request: Request, *, required: bool = True) -> dict[str, Any]:
    """The request body as a JSON object.

    Raises:
        ParseError: the body is missing (when required), not JSON, or not an object.
    """
    raw = await request.body()
    if not raw.strip():
        if required:
            raise ParseError("request body is required; send a JSON object with Content-Type: application/json")
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"Failed to parse the request body as JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ParseError(f"The request body must be a JSON object, got [{json_type(body)}]")
    return body


def json_type(value: Any) -> str:
    """JSON's name for the type of ``value``."""
    if value is None:
        return "null"
    names = {str: "string", bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}
    return names.get(type(value), type(value).__name__)


def string_list(body: dict[str, Any], name: str, *, required: bool = True) -> list[str] | None:
    """A field that is a string or a non-empty list of strings, as a list.

    Raises:
        RequestValidationError: missing, empty, or not strings.
    """
    value = body.get(name)
    if value is None:
        if required:
            raise RequestValidationError([f"Field [{name}] cannot be null"], param=name)
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RequestValidationError(
            [f"Field [{name}] must be a string or an array of strings, got [{json_type(value)}]"], param=name
        )
    if not value:
        raise EmptyInputError([f"Field [{name}] cannot be an empty array"], param=name)
    return value


def prompt_texts(texts: list[str], name: str) -> list[str]:
    """``texts`` to generate from, none of them empty: a prompt of no tokens cannot be prefilled (vLLM
    refuses it: "The decoder prompt cannot be empty"; TGI: "`inputs` cannot be empty").

    Raises:
        EmptyInputError: a text is empty; the message names the field and the item.

    Example:
        >>> prompt_texts(["hi", " "], "prompt")
        ['hi', ' ']
    """
    for index, text in enumerate(texts):
        if not text:
            where = f"[{name}]" if len(texts) == 1 else f"[{name}] item [{index}]"
            raise EmptyInputError([f"Field {where} is an empty prompt; give at least one character"], param=name)
    return texts


def typed(body: dict[str, Any], name: str, *, kind: type, default: Any = None) -> Any:
    """An optional field of one JSON type (``bool``, ``int``, ``str``, ``dict``, ``list``).

    Raises:
        RequestValidationError: the field has another type.
    """
    value = body.get(name)
    if value is None:
        return default
    wrong_bool = kind is int and isinstance(value, bool)
    if not isinstance(value, kind) or wrong_bool:
        expected = {bool: "boolean", int: "integer", str: "string", dict: "object", list: "array"}[kind]
        raise RequestValidationError([f"Field [{name}] must be a {expected}, got [{json_type(value)}]"], param=name)
    return value


def check_allowed(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """Refuse fields the route does not know.

    Raises:
        ParseError: naming the unknown field and the allowed ones.
    """
    for key in body:
        if key not in allowed:
            raise ParseError(
                f"Unknown field [{key}] in the request body; the fields allowed are [{', '.join(allowed)}]",
                param=key,
            )


def number(body: dict[str, Any], name: str) -> float | None:
    """An optional JSON number as a float.

    Raises:
        ParseError: the field is not a number.
    """
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParseError(f"Field [{name}] must be a number, got [{json_type(value)}]", param=name)
    return float(value)
