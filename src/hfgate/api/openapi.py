"""The OpenAPI document: FastAPI's paths, with every route's request and response bodies attached.

The routes read their bodies themselves (face-shaped errors), and the inference routes are plain
Starlette routes FastAPI does not list, so FastAPI cannot see what they take; each route's declaration
(:mod:`hfgate.api.declared`) says what it takes and returns, and :func:`install_openapi` writes that into
``/openapi.json``: the document's operations are exactly the declared routes. Each documents its 200 and
a ``default`` answer in its face's error shape. ``tests/api/test_declared_routes.py`` fails when the app
serves an API route that is not declared. The create route carries OpenAPI links to infer, read, update
and delete the endpoint it made (what a stateful fuzzer follows).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, TypeAdapter

from hfgate.api.declare import Declared, Doc
from hfgate.api.declared import declared
from hfgate.api.es.schema import EsError

_REF = "#/components/schemas/{model}"


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` (``/openapi.json``) the documented document, built once."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            describe(doc)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]


def describe(doc: dict[str, Any]) -> None:
    """Attach each declared route's bodies to ``doc``'s operations (adding those FastAPI does not list)."""
    components: dict[str, Any] = doc.setdefault("components", {}).setdefault("schemas", {})
    for route in declared():
        method, path, spec = route.method, route.documented_path, route.doc
        operation = doc["paths"].setdefault(path, {}).setdefault(method, _plain_operation(route))
        if spec.operation_id:
            operation["operationId"] = spec.operation_id
        if spec.body is not None:
            media = "multipart/form-data" if spec.form else "application/json"
            body = {"content": {media: {"schema": _schema(spec.body, components)}}, "required": True}
            operation["requestBody"] = body
        operation["responses"] = _responses(spec, components)
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)


def _responses(spec: Doc, components: dict[str, Any]) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "Success"}
    if spec.answer is not None:
        ok["content"] = {"application/json": {"schema": _schema(spec.answer, components)}}
    if spec.stream or spec.or_stream:
        ok.setdefault("content", {})["text/event-stream"] = {"schema": {"type": "string"}}
    elif spec.text:
        ok["content"] = {"text/plain": {"schema": {"type": "string"}}}
    if spec.links:
        ok["links"] = _links()
    error = {"description": "An error, in the face's shape",
             "content": {"application/json": {"schema": _schema(spec.error or EsError, components)}}}  # fmt: skip
    return {"200": ok, "default": error}


def _schema(kind: Any, components: dict[str, Any]) -> dict[str, Any]:
    schema = TypeAdapter(kind).json_schema(ref_template=_REF)
    components.update(schema.pop("$defs", {}))
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        components[kind.__name__] = schema
        return {"$ref": _REF.format(model=kind.__name__)}
    return schema


def _links() -> dict[str, Any]:
    parameters = {"task_type": "$response.body#/task_type", "inference_id": "$response.body#/inference_id"}
    return {
        name: {"operationId": target, "parameters": parameters}
        for name, target in (("Infer", "es_infer"), ("Get", "es_get"), ("Update", "es_update"), ("Delete", "es_delete"))
    }


def _plain_operation(route: Declared) -> dict[str, Any]:
    """The operation of a plain inference route (FastAPI lists only its own routes), written as FastAPI
    writes its own: the handler's name as summary and in the operation id, its docstring, the face's tag,
    the path's parameters and the declared query parameters."""
    path = route.documented_path
    names = [part[1:-1] for part in re.findall(r"\{\w+\}", path)]
    parameters = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string", "title": _title(n)}} for n in names
    ]
    parameters += [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}} for n in route.doc.query]
    operation: dict[str, Any] = {
        "tags": [route.tag],
        "summary": _title(route.name),
        "operationId": re.sub(r"\W", "_", f"{route.name}{path}") + f"_{route.method}",
    }
    if route.description:
        operation["description"] = route.description
    if parameters:
        operation["parameters"] = parameters
    return operation


def _title(name: str) -> str:
    return name.replace("_", " ").title()
