"""The OpenAPI document describes every route's bodies and errors (that its operations are exactly the declared
routes, so that a new route cannot go undocumented: tests/api/test_declared_routes.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel

from hfgate.api.app import create_app
from hfgate.api.declared import declared
from hfgate.config import Settings


def _document(tmp_path: Path) -> tuple[Any, dict[str, Any]]:
    app = create_app(Settings(data_dir=tmp_path))
    return app, app.openapi()


def test_every_operation_documents_its_bodies_and_errors(tmp_path: Path) -> None:
    _, document = _document(tmp_path)
    for route in declared():
        method, path, doc = route.method, route.documented_path, route.doc
        operation = document["paths"][path][method]
        assert set(operation["responses"]) == {"200", "default"}, (method, path)
        if doc.body is not None:
            media = "multipart/form-data" if doc.form else "application/json"
            assert operation["requestBody"]["content"][media]["schema"], (method, path)
        if doc.answer is not None:
            assert operation["responses"]["200"]["content"]["application/json"]["schema"], (method, path)


def test_the_hot_paths_plain_routes_are_listed_with_their_parameters(tmp_path: Path) -> None:
    _, document = _document(tmp_path)
    infer = document["paths"]["/_inference/{task_type}/{inference_id}"]["post"]
    assert infer["operationId"] == "es_infer"
    assert {p["name"] for p in infer["parameters"]} == {"task_type", "inference_id", "timeout"}
    bodies = ("EsEmbedBody", "EsEmbeddingBody", "EsCompletionBody", "EsChatBody")  # by the endpoint's task type
    assert infer["requestBody"]["content"]["application/json"]["schema"] == {
        "anyOf": [{"$ref": f"#/components/schemas/{body}"} for body in bodies]
    }


def test_create_links_to_infer_read_update_and_delete(tmp_path: Path) -> None:
    _, document = _document(tmp_path)
    links = document["paths"]["/_inference/{task_type}/{inference_id}"]["put"]["responses"]["200"]["links"]
    assert {link["operationId"] for link in links.values()} == {"es_infer", "es_get", "es_update", "es_delete"}
    schemas = document["components"]["schemas"]
    assert {"EndpointConfig", "ChatRequest", "TgiRequest", "EsError", "OpenAIError", "HfError"} <= set(schemas)


def _models(kind: Any, found: set[type[BaseModel]]) -> None:
    """Every pydantic model ``kind`` is or holds (fields, unions, lists), into ``found``."""
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        if kind in found:
            return
        found.add(kind)
        for field in kind.model_fields.values():
            _models(field.annotation, found)
    for inner in get_args(kind):
        _models(inner, found)


def test_no_two_documented_models_share_a_name() -> None:
    """The document names each model's schema after its class: two classes of one name would be one schema."""
    found: set[type[BaseModel]] = set()
    for route in declared():
        for kind in (route.doc.body, route.doc.answer, route.doc.error):
            _models(kind, found)
    names = Counter(model.__name__ for model in found)
    assert len(found) > 50
    assert [name for name, count in names.items() if count > 1] == []
