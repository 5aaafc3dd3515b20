"""A route declared once: method, path, role, request and answer types, handler, in its face's list.

A face module makes one :class:`FaceRoutes` and declares each route with its decorator::

    ROUTES = FaceRoutes(GEMINI, tag="Gemini-compatible")

    @ROUTES.post("/v1beta/models/{model:path}:countTokens", role=Role.INFER, body=CountTokensRequest,
                 answer=CountTokensResponse)
    async def count_tokens(model: str, request: Request, orch: OrchestratorDep) -> Response: ...

The same declaration is the route the app serves, the route's line of the role table (:mod:`hfgate.api.route_roles`;
a plain route checks it itself) and its operation in the OpenAPI document (:mod:`hfgate.api.openapi`); the face
(``ROUTES.face``) gives its error shape and metric label. An inference route (a POST whose handler takes only its
path's strings, the request and the orchestrator, and answers a ``Response``) is a plain Starlette route (its
declaration's ``plain``), which the app matches before every other: FastAPI's per-request work (its request wrapper,
an ``AsyncExitStack``, solving ``OrchestratorDep``) costs as much CPU as the rest of a face
(docs/benchmarks/gateway.md). Every other route is FastAPI's (``ROUTES.router``).

The request types are pydantic models that decode the body (:func:`hfgate.api.body.read_body`) and
document it: no second, documentation-only model. :mod:`hfgate.api.declared` lists every API route's face,
each declared this way.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.responses import Response
from starlette.routing import Route, compile_path

from hfgate.access.principal import Need, check
from hfgate.access.roles import Role
from hfgate.api.face import Face

Handler = TypeVar("Handler", bound=Callable[..., Any])


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
    query: tuple[str, ...] = ()  # string query parameters the handler reads from the request itself
    form: bool = False  # the body is a multipart form (a file upload), not JSON


@dataclass(frozen=True, slots=True, kw_only=True)
class Declared:
    """One route as declared: ``role`` is a :class:`Role`, :data:`OPEN` or :data:`ANY_KEY`; ``name``,
    ``description`` and ``tag`` are its handler's name and docstring and its face's tag; ``plain`` is the
    plain Starlette route serving it, if it is one."""

    method: str
    path: str
    role: Role | str
    doc: Doc
    face: Face
    name: str
    description: str | None
    tag: str
    plain: Route | None = None

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
        self.tag = tag
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
        form: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Declare a POST route; ``stream``: it answers server-sent events (``answer`` is each event's data);
        ``or_stream``: it answers ``answer``, or server-sent events when the body asks for a stream;
        ``query``: string query parameters the handler reads from the request itself (documented only);
        ``form``: ``body`` is a multipart form's fields (a file upload), not JSON."""
        doc = Doc(body=body, answer=answer, stream=stream, error=self.error, or_stream=or_stream,
                  operation_id=operation_id, query=query, form=form)  # fmt: skip
        return self._route("post", paths, role=role, doc=doc)

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
        self, method: str, paths: tuple[str, ...], *, role: Role | str, doc: Doc
    ) -> Callable[[Handler], Handler]:
        extra = {"parameters": [_query(name) for name in doc.query]} if doc.query else None

        def declare(handler: Handler) -> Handler:
            description = inspect.cleandoc(handler.__doc__) if handler.__doc__ else None
            for path in paths:
                plain = plain_route(path, handler, need=role) if method == "post" else None
                if plain is None:
                    self.router.add_api_route(
                        path, handler, methods=[method.upper()], response_model=None, openapi_extra=extra
                    )
                self.declared.append(Declared(method=method, path=path, role=role, doc=doc, face=self.face,
                                              name=handler.__name__, description=description, tag=self.tag,
                                              plain=plain))  # fmt: skip
            return handler

        return declare


class PageRoutes:
    """The web page's routes, each declared once with the role it needs (:meth:`get`, :meth:`post`,
    :meth:`put`): ``router`` serves them (no part of the API's document) and the role table reads ``needs``,
    ``{"METHOD path": role}``."""

    def __init__(self) -> None:
        self.router = APIRouter(tags=["web page"], include_in_schema=False)
        self.needs: dict[str, Need] = {}

    def get(self, *paths: str, role: Need) -> Callable[[Handler], Handler]:
        """Declare a GET route; several ``paths`` are one page under several names."""
        return self._route("GET", paths, role=role)

    def post(self, path: str, *, role: Need) -> Callable[[Handler], Handler]:
        """Declare a POST route (a form's)."""
        return self._route("POST", (path,), role=role)

    def put(self, path: str, *, role: Need) -> Callable[[Handler], Handler]:
        """Declare a PUT route (the page's own JSON)."""
        return self._route("PUT", (path,), role=role)

    def _route(self, method: str, paths: tuple[str, ...], *, role: Need) -> Callable[[Handler], Handler]:
        def declare(handler: Handler) -> Handler:
            for path in paths:
                self.router.add_api_route(path, handler, methods=[method])
                self.needs[f"{method} {path}"] = role
            return handler

        return declare


def plain_route(path: str, handler: Callable[..., Any], *, need: Need) -> Route | None:
    """A plain Starlette route calling ``handler`` with its path's strings, the request and the orchestrator,
    once the request's key holds ``need`` (:func:`hfgate.access.principal.check`); ``None`` for a handler
    that takes anything else (it needs FastAPI) or answers something other than a ``Response``."""
    signature = inspect.signature(handler, eval_str=True)
    names = set(signature.parameters)
    answers = signature.return_annotation
    if "orch" not in names or names - set(compile_path(path)[2]) - {"request", "orch"}:
        return None
    if not (inspect.isclass(answers) and issubclass(answers, Response)):
        return None
    wants_request = "request" in names

    async def call(request: Request) -> Response:
        await check(request.scope, need)
        arguments: dict[str, Any] = dict(request.path_params)
        if wants_request:
            arguments["request"] = request
        arguments["orch"] = request.app.state.orchestrator
        answer: Response = await handler(**arguments)
        return answer

    return Route(path, call, methods=["POST"], name=handler.__name__)


def _query(name: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
