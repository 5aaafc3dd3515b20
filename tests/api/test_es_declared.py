"""The Elasticsearch face is declared once (``api/declare.py``): its ``_inference`` and ``_security``
routes are in the declaration list, and the role table, the OpenAPI document and the plain
inference routes of the hot path come from those declarations, not from lists kept by hand. The revoke body is
decoded by its model (``api/es/security_schema.py``), strictly and naming each field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Route

from hfgate.access.principal import ANY_KEY
from hfgate.access.roles import Role
from hfgate.api.app import create_app
from hfgate.api.body import decode
from hfgate.api.declared import ELASTICSEARCH, FACE_ROUTES, declared
from hfgate.api.es.errors import FACE
from hfgate.api.es.security_schema import KeyRevoke
from hfgate.api.route_roles import RULES, all_routes, rule_names
from hfgate.config import Settings
from hfgate.errors import RequestValidationError
from tests.conftest import app_client

ES_PATHS = ("/_inference", "/_security")


def _es_declared() -> dict[str, Any]:
    return {route.rule: route for route in declared() if route.path.startswith(ES_PATHS)}


def test_every_elasticsearch_route_of_the_app_is_declared_on_the_elasticsearch_face(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    served = {name for route in all_routes(app.routes) for name in rule_names(route)}
    es_served = {name for name in served if name.split(" ", 1)[1].startswith(ES_PATHS)}
    assert len(es_served) == 26
    assert es_served == set(_es_declared())
    assert all(face in FACE_ROUTES for face in ELASTICSEARCH)
    assert {route.face for route in _es_declared().values()} == {FACE}


def test_the_role_table_reads_each_elasticsearch_route_from_its_declaration() -> None:
    routes = _es_declared()
    assert {rule: RULES[rule] for rule in routes} == {rule: route.role for rule, route in routes.items()}
    assert RULES["POST /_inference/{task_type}/{inference_id:endpoint_id}"] is Role.INFER
    assert RULES["PUT /_inference/{task_type}/{inference_id}"] is Role.MANAGE
    assert RULES["DELETE /_security/api_key"] is Role.ADMIN
    assert RULES["GET /_security/_authenticate"] == ANY_KEY
    assert RULES["GET /_usage"] is Role.MONITOR  # hfgate's own (api/usage.py), in Elasticsearch's envelope


def test_the_document_reads_each_elasticsearch_route_from_its_declaration(tmp_path: Path) -> None:
    document = create_app(Settings(data_dir=tmp_path)).openapi()
    for route in _es_declared().values():
        operation = document["paths"][route.documented_path][route.method]
        error = operation["responses"]["default"]["content"]["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/EsError"}, route.rule
        if isinstance(route.doc.body, type):
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            assert body == {"$ref": f"#/components/schemas/{route.doc.body.__name__}"}, route.rule
    revoke = document["paths"]["/_security/api_key"]["delete"]["requestBody"]["content"]["application/json"]
    assert revoke["schema"] == {"$ref": "#/components/schemas/KeyRevoke"}
    infer = document["paths"]["/_inference/{inference_id}"]["post"]
    assert {p["name"] for p in infer["parameters"]} == {"inference_id", "timeout"}


def test_the_inference_routes_are_the_first_plain_routes_matched(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    plain = [r.path for r in app.router.routes if type(r) is Route and "POST" in (r.methods or ())]
    assert plain[:2] == ["/_inference/{task_type}/{inference_id:endpoint_id}", "/_inference/{inference_id:endpoint_id}"]
    assert "/_inference/{task_type}/{inference_id}/_stream" in plain


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"id": 5}, "id", "must be a string, got [number]"),
        ({"ids": ["a", 1]}, "ids[1]", "must be a string, got [number]"),
        ({"ids": "a"}, "ids", "must be an array, got [string]"),
        ({"name": ""}, "name", "string should have at least 1 character"),
        ({"owner": "true"}, "owner", "must be a boolean, got [string]"),
    ],
)
def test_a_refused_revoke_body_names_its_field(body: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(RequestValidationError) as refused:
        decode(body, KeyRevoke)
    assert refused.value.param == field
    assert f"Field [{field}] {words}" in refused.value.problems[0]


def test_an_unknown_revoke_field_is_named_with_the_fields_taken() -> None:
    with pytest.raises(RequestValidationError) as refused:
        decode({"ids": ["a"], "idz": ["b"]}, KeyRevoke)
    assert refused.value.param == "idz"
    assert refused.value.problems == [
        "Unknown field [idz] in the request body; the fields allowed are [id, ids, name, owner, username, realm_name]"
    ]


def test_a_revoke_body_is_read_as_sent() -> None:
    revoke = decode({"ids": ["a", "b"], "owner": True}, KeyRevoke)
    assert (revoke.ids, revoke.owner, revoke.name) == (["a", "b"], True, None)


async def test_a_refused_revoke_is_a_400_in_elasticsearchs_envelope(tmp_path: Path) -> None:
    async with app_client(Settings(data_dir=tmp_path, log_format="text")) as http:
        wrong = await http.request("DELETE", "/_security/api_key", json={"owner": "yes"})
        empty = await http.request("DELETE", "/_security/api_key")
    assert wrong.status_code == 400
    assert wrong.json()["error"]["type"] == "validation_exception"
    assert "Field [owner] must be a boolean, got [string]" in wrong.json()["error"]["reason"]
    assert (empty.status_code, empty.json()["error"]["type"]) == (400, "parse_exception")
