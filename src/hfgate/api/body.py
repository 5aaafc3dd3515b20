"""Request bodies: JSON read, decoded into a route's declared type (a pydantic model) or checked field by
field, each problem naming its field as the client spelled it (``contents[0].parts[1].functionCall.name``)
and the fix, in JSON's words; and JSON responses written (orjson, for the hot routes that return large
float arrays); multipart forms read with Starlette's refusals as hfgate's.

The declared type documents the body in the OpenAPI document too (:mod:`hfgate.api.declare`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, PlainValidator, ValidationError, WithJsonSchema
from pydantic_core import ErrorDetails, PydanticCustomError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.responses import Response

from hfgate.errors import EmptyInputError, ParseError, RequestValidationError


@asynccontextmanager
async def form_of(request: Request, *, max_files: int = 1000, max_fields: int = 1000) -> AsyncIterator[FormData]:
    """The request's multipart (or url-encoded) form, its spooled files closed after the block.

    Raises:
        ParseError: the body is no form the parser can read, or holds more files or fields than allowed
            (Starlette answers these with its own HTTPException, which a plain route must not raise).
    """
    try:
        form = await request.form(max_files=max_files, max_fields=max_fields)
    except HTTPException as exc:
        raise ParseError(f"Failed to parse the request body as a multipart form: {exc.detail}") from None
    try:
        yield form
    finally:
        await form.close()


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


def json_response(body: Any, *, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


Body = TypeVar("Body", bound=BaseModel)


def read_texts(value: Any, *, what: str = "") -> list[str]:
    """A string or an array of strings, as a list; ``what`` ends the message of anything else."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(text, str) for text in value):
        return value
    raise PydanticCustomError(
        "texts", "must be a string or an array of strings, got [{kind}]{what}", {"kind": json_type(value), "what": what}
    )


TEXTS_SCHEMA = WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]})
Texts = Annotated[list[str], PlainValidator(read_texts), TEXTS_SCHEMA]
"""A string or an array of strings, read as a list."""


async def read_body(request: Request, kind: type[Body]) -> Body:
    """The request's JSON body decoded into ``kind``.

    Raises:
        ParseError: the body is not a JSON object.
        RequestValidationError: a field is missing or has the wrong type; each problem names its field
            as the client spelled it (``contents[0].parts[1].functionCall.name``).
    """
    body = await json_object(request)
    return decode(body, kind)


def decode(body: Any, kind: type[Body]) -> Body:
    """``body`` (parsed JSON) as ``kind``; see :func:`read_body`."""
    try:
        return kind.model_validate(body)
    except ValidationError as problems:
        raise invalid(problems, body, kind) from None


def invalid(problems: ValidationError, body: Any = None, kind: type[BaseModel] | None = None) -> RequestValidationError:
    """Pydantic's problems as hfgate's validation error, each naming its field as ``body`` spells it; a
    missing top-level field of ``kind`` also says what it is (its description)."""
    named = [_problem(p, body, kind) for p in problems.errors(include_url=False)]
    return RequestValidationError([text for _, text in named], param=named[0][0] if named else None)


def _problem(problem: ErrorDetails, body: Any, kind: type[BaseModel] | None = None) -> tuple[str, str]:
    """The field's path and the sentence naming it; a union's tag (``{"type": "document"}`` where only
    some block types are taken) is named as the discriminating field itself."""
    where = field_path(problem["loc"], body)
    context = problem.get("ctx") or {}
    if problem["type"] in ("union_tag_invalid", "union_tag_not_found"):
        where = f"{where}.{str(context['discriminator']).strip(chr(39))}".lstrip(".")
        if problem["type"] == "union_tag_not_found":
            return where, f"Field [{where}] is required"
        tags = context["expected_tags"]
        return where, f"Field [{where}] is [{context['tag']}], which hfgate does not take here; expected one of {tags}"
    if problem["type"] == "literal_error":
        given = problem["input"] if isinstance(problem["input"], str) else json_type(problem["input"])
        return where, f"Field [{where}] must be {context['expected']}, got [{given}]"
    if problem["type"] in _JSON_TYPES:
        return where, f"Field [{where}] must be {_JSON_TYPES[problem['type']]}, got [{json_type(problem['input'])}]"
    if problem["type"] == "extra_forbidden":  # a model that refuses unknown fields: say which it takes
        known = [f.alias or name for name, f in kind.model_fields.items()] if kind and len(problem["loc"]) == 1 else []
        allowed = f"; the fields allowed are [{', '.join(known)}]" if known else ""
        return where, f"Unknown field [{where}] in the request body{allowed}"
    if problem["type"] == "missing":
        field = kind.model_fields.get(where) if kind is not None else None
        what = f": {field.description}" if field is not None and field.description else ""
        return where, f"Field [{where}] is required{what}"
    return where, f"Field [{where}] {problem['msg'][:1].lower()}{problem['msg'][1:]}"


_JSON_TYPES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}
"""Pydantic's type errors, said in JSON's words (``must be an object, got [array]``) rather than its own
(``input should be a valid dictionary or instance of TgiParameters``)."""


def json_type(value: Any) -> str:
    """The JSON type of a decoded value, as the error messages name it.

    Example:
        >>> json_type([1]), json_type(True), json_type(None), json_type(2.5)
        ('array', 'boolean', 'null', 'number')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def field_path(loc: tuple[int | str, ...], body: Any = None) -> str:
    """``("contents", 0, "parts")`` as ``contents[0].parts``; with the ``body`` it was read from, a tagged
    union's tag in ``loc`` (pydantic's ``messages.0.user.content``) is left out: the path is the client's.

    Example:
        >>> field_path(("contents", 0, "parts", 1, "text"))
        'contents[0].parts[1].text'
        >>> field_path(("messages", 0, "user", "content"), {"messages": [{"role": "user", "content": 3}]})
        'messages[0].content'
        >>> part = {"type": "image_url", "image_url": {}}
        >>> field_path(("parts", 0, "image_url", "image_url", "url"), {"parts": [part]})
        'parts[0].image_url.url'
    """
    out = ""
    last = len(loc) - 1
    for i, part in enumerate(loc):
        if isinstance(part, str) and i < last and _tag(part, body, after=loc[i + 1]):
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        body = _inside(body, part)
    return out


def _tag(part: str, value: Any, *, after: int | str) -> bool:
    """Whether ``part`` is a union's tag rather than a field of ``value`` (unknown ``value``: a field). A field
    may be named as its tag (``{"type": "image_url", "image_url": {"url"}}``): then what comes ``after`` it
    in ``loc`` tells which it is, a field of ``value`` itself or of the field."""
    if not isinstance(value, dict):
        return False
    if part not in value:
        return True
    if part not in (value.get("type"), value.get("role")):
        return False
    inner = value[part]
    return after in value and not (isinstance(inner, dict) and after in inner)


def _inside(value: Any, part: int | str) -> Any:
    if isinstance(value, dict):
        return value.get(part)
    if isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
        return value[part]
    return None
