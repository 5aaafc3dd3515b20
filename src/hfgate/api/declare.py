"""A route declared once: method, path, role, request and answer types, handler, in its face's list.

A face module makes one :class:`FaceRoutes` and declares each route with its decorator::

    ROUTES = FaceRoutes(GEMINI, tag="Gemini-compatible")

    @ROUTES.post("/v1beta/models/{model:path}:countTokens", role=Role.INFER, body=CountTokensRequest,
                 answer=CountTokensResponse)
    async def count_tokens(model: str, request: Request, orch: OrchestratorDep) -> Response: ...

The same declaration is the router the app includes (``ROUTES.router``), the route's line of the role
table (:mod:`hfgate.api.route_roles`) and its operation in the OpenAPI document
(:mod:`hfgate.api.openapi`); the face (``ROUTES.face``) gives its error shape and metric label.
The request types are pydantic models that decode the body (:func:`read_body`) and document it: no
second, documentation-only model. :mod:`hfgate.api.declared` lists every API route's face, each declared this way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from hfgate.access.roles import Role
from hfgate.api.body import json_object
from hfgate.api.face import Face
from hfgate.errors import RequestValidationError

OPEN: Final = "open"
"""A route's role when it needs no key."""
ANY_KEY: Final = "any key"
"""A route's role when any valid key will do."""

Handler = TypeVar("Handler", bound=Callable[..., Any])
Body = TypeVar("Body", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Doc:
    """What one route takes and answers: ``body`` and ``answer`` are types (models, lists of them);
    ``error`` the face's error model (``None``: Elasticsearch's)."""

    body: Any = None
    answer: Any = None
    stream: bool = False
    text: bool = False
    error: type[BaseModel] | None = None
    operation_id: str | None = None
    links: bool = False
    or_stream: bool = False  # ``"stream": true`` answers server-sent events instead


@dataclass(frozen=True, slots=True, kw_only=True)
class Declared:
    """One route as declared: ``role`` is a :class:`Role`, :data:`OPEN` or :data:`ANY_KEY`."""

    method: str
    path: str
    role: Role | str
    doc: Doc
    face: Face

    @property
    def documented_path(self) -> str:
        """The path as OpenAPI spells it: without Starlette's converters (``{model:path}`` is ``{model}``)."""
        return re.sub(r"\{(\w+):\w+\}", r"{\1}", self.path)

    @property
    def rule(self) -> str:
        """The route's name in the role table: ``"POST /v1beta/models/{model:path}:countTokens"``."""
        return f"{self.method.upper()} {self.path}"


class FaceRoutes:
    """One face's routes, each declared once with :meth:`get`, :meth:`head`, :meth:`post`, :meth:`put` or
    :meth:`delete`; ``error`` is the face's error model (``None``: Elasticsearch's)."""

    def __init__(self, face: Face, *, tag: str, error: type[BaseModel] | None) -> None:
        self.face = face
        self.error = error
        self.declared: list[Declared] = []
        self.router = APIRouter(tags=[tag])

    def get(
        self, *paths: str, role: Role | str, answer: Any = None, text: bool = False, operation_id: str | None = None
    ) -> Callable[[Handler], Handler]:
        """Declare a GET route; several ``paths`` are one route under several names (API versions); ``text``:
        it answers plain text; ``operation_id`` names its operation in the document (one path only)."""
        doc = Doc(answer=answer, text=text, error=self.error, operation_id=operation_id)
        return self._route("get", paths, role=role, doc=doc)

    def head(self, *paths: str, role: Role | str) -> Callable[[Handler], Handler]:
        """Declare a HEAD route (one of its own, not the one a GET route answers too): no body either way."""
        return self._route("head", paths, role=role, doc=Doc(error=self.error))

    def post(
        self,
        *paths: str,
        role: Role | str,
        body: Any,
        answer: Any = None,
        stream: bool = False,
        or_stream: bool = False,
        query: tuple[str, ...] = (),
        operation_id: str | None = None,
    ) -> Callable[[Handler], Handler]:
        """Declare a POST route; ``stream``: it answers server-sent events (``answer`` is each event's data);
        ``or_stream``: it answers ``answer``, or server-sent events when the body asks for a stream;
        ``query``: string query parameters the handler reads from the request itself (documented only: a
        handler taking only path strings, the request and the orchestrator gets a plain twin)."""
        doc = Doc(body=body, answer=answer, stream=stream, error=self.error, or_stream=or_stream,
                  operation_id=operation_id)  # fmt: skip
        return self._route("post", paths, role=role, doc=doc, query=query)

    def put(
        self, *paths: str, role: Role | str, body: Any, answer: Any = None, operation_id: str | None = None,
        links: bool = False,
    ) -> Callable[[Handler], Handler]:  # fmt: skip
        """Declare a PUT route; ``links``: its answer links to the routes of what it made (OpenAPI links)."""
        doc = Doc(body=body, answer=answer, error=self.error, operation_id=operation_id, links=links)
        return self._route("put", paths, role=role, doc=doc)

    def delete(
        self, *paths: str, role: Role | str, body: Any = None, answer: Any = None, operation_id: str | None = None
    ) -> Callable[[Handler], Handler]:
        """Declare a DELETE route (``body``: one that takes a JSON body, as some of Elasticsearch's do)."""
        doc = Doc(body=body, answer=answer, error=self.error, operation_id=operation_id)
        return self._route("delete", paths, role=role, doc=doc)

    def _route(
        self, method: str, paths: tuple[str, ...], *, role: Role | str, doc: Doc, query: tuple[str, ...] = ()
    ) -> Callable[[Handler], Handler]:
        extra = {"parameters": [_query(name) for name in query]} if query else None

        def declare(handler: Handler) -> Handler:
            for path in paths:
                self.declared.append(Declared(method=method, path=path, role=role, doc=doc, face=self.face))
                self.router.add_api_route(
                    path, handler, methods=[method.upper()], response_model=None, openapi_extra=extra
                )
            return handler

        return declare


def _query(name: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}


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
