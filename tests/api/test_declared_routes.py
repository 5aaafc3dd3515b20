"""Every API route is declared once (``api/declare.py``, listed in ``api/declared.py``), and the app's router,
the OpenAPI document and the role table are all made from that one list: a route added any other way (a plain
``@router.post`` on an included router) is served but not declared, and fails here. The web page's routes
(``/ui``, out of the document) are declared too, with their roles (``PageRoutes``); only FastAPI's own
documentation routes are routed outside the declarations."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from fastapi import FastAPI

from hfgate.access.principal import OPEN
from hfgate.access.roles import Role
from hfgate.api.app import create_app
from hfgate.api.declared import FACE_ROUTES, PAGES, declared, plain_routes
from hfgate.api.es.errors import FACE as ELASTICSEARCH
from hfgate.api.faces import OTHER, face_of
from hfgate.api.route_roles import RULES, all_routes, rule_names
from hfgate.config import Settings

NOT_API = ("/ui", "/openapi.json", "/docs", "/redoc")
"""The web page (no part of the document) and FastAPI's documentation of the API."""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("declared")))


def _served(app: FastAPI) -> set[str]:
    """``"METHOD path"`` of every API route the app serves (FastAPI's routes and the plain inference routes)."""
    names = {name for route in all_routes(app.routes) for name in rule_names(route)}
    return {name for name in names if not name.split(" ", 1)[1].startswith(NOT_API)}


def test_every_api_route_the_app_serves_is_declared_exactly_once(app: FastAPI) -> None:
    rules = Counter(route.rule for route in declared())
    assert [rule for rule, count in rules.items() if count > 1] == []
    assert _served(app) == set(rules), "the app serves a route that is not declared (or declares one it lacks)"
    assert len(rules) >= 74


def test_the_openapi_documents_operations_are_exactly_the_declared_routes(app: FastAPI) -> None:
    document: dict[str, Any] = app.openapi()
    operations = {(method, path) for path, methods in document["paths"].items() for method in methods}
    declared_operations = [(route.method, route.documented_path) for route in declared()]
    assert operations == set(declared_operations)
    assert len(operations) == len(declared_operations)


def test_the_role_table_holds_exactly_the_declared_routes_besides_the_page_and_the_docs() -> None:
    api_rules = {rule: need for rule, need in RULES.items() if not rule.split(" ", 1)[1].startswith(NOT_API)}
    assert api_rules == {route.rule: route.role for route in declared()}


def test_the_web_pages_routes_are_declared_once_with_the_role_the_table_gives_them(app: FastAPI) -> None:
    pages = [(rule, need) for group in PAGES for rule, need in group.needs.items()]
    served = {name for route in all_routes(app.routes) for name in rule_names(route) if " /ui" in name}
    assert served == {rule for rule, _ in pages}, "a page is served but not declared, or declared but not served"
    assert len(served) == len(pages) >= 13
    assert {rule: RULES[rule] for rule, _ in pages} == dict(pages)
    assert RULES["GET /ui/keys"] is Role.ADMIN
    assert RULES["GET /ui/login"] == OPEN
    docs = {rule for rule in RULES if rule.split(" ", 1)[1].startswith(("/openapi.json", "/docs", "/redoc"))}
    assert set(RULES) == {route.rule for route in declared()} | served | docs, "every other rule is a declaration's"


def test_the_app_wide_routes_are_declared_on_the_face_that_owns_their_path() -> None:
    faces = {route.rule: route.face for route in declared()}
    assert {rule: faces[rule] for rule in ("GET /health", "GET /ready", "GET /metrics")} == dict.fromkeys(
        ("GET /health", "GET /ready", "GET /metrics"), OTHER
    )
    assert faces["GET /"] is faces["HEAD /"] is ELASTICSEARCH
    assert faces["POST /_hfgate/apply"] is faces["GET /_hfgate/export"] is OTHER
    no_face = {route.rule for route in declared() if face_of(route.path) is OTHER}
    assert no_face == {
        "GET /health", "GET /ready", "GET /metrics", "GET /_usage", "POST /_hfgate/apply", "GET /_hfgate/export",
    }  # fmt: skip


def test_each_route_is_answered_by_the_face_it_is_declared_on() -> None:
    """The face a request's errors, metric label and product header come from (``face_of``, by path) is the
    face its route is declared on: one answer to "whose path is this"."""
    assert {route.rule: face_of(route.path).name for route in declared()} == {
        route.rule: route.face.name for route in declared()
    }


def test_the_app_wide_routes_have_their_roles() -> None:
    roles = {route.rule: route.role for route in declared()}
    assert (roles["GET /health"], roles["HEAD /"], roles["GET /metrics"]) == (OPEN, OPEN, Role.MONITOR)
    assert (roles["POST /_hfgate/apply"], roles["GET /v1/responses"]) == (Role.ADMIN, Role.ADMIN)
    assert roles["POST /v1/responses"] is Role.INFER


def test_the_responses_api_comes_after_the_other_openai_routes(app: FastAPI) -> None:
    plain = [r.path for r in plain_routes()]
    assert plain[:2] == ["/_inference/{task_type}/{inference_id:endpoint_id}", "/_inference/{inference_id:endpoint_id}"]
    assert plain.index("/v1/responses") > plain.index("/v1/chat/completions")
    faces = [face for face in FACE_ROUTES if face.declared]
    assert faces[-2].declared[0].path == "/v1/responses"
