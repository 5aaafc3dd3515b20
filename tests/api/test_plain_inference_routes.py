"""The inference POST routes are plain Starlette routes, made by their declarations and matched before every
other route (see ``plain_route`` in api/declare.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.routing import Route

from hfgate.api import declared as declared_module
from hfgate.api.app import create_app
from hfgate.api.declare import FaceRoutes
from hfgate.api.declared import declared, plain_routes
from hfgate.api.deps import OrchestratorDep
from hfgate.api.openai.errors import FACE as OPENAI
from hfgate.config import Settings
from tests.conftest import app_client

HOT = (
    "/v1/embeddings", "/v1/chat/completions", "/v1/completions", "/hf/{inference_id}", "/hf/{inference_id}/embed",
    "/hf/{inference_id}/generate_stream", "/hf/{inference_id}/v1/embeddings", "/_inference/{inference_id}/_stream",
)  # fmt: skip


def test_inference_routes_are_served_plainly_and_stay_documented(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    plain = {r.path for r in app.router.routes if type(r) is Route and "POST" in (r.methods or ())}
    assert set(HOT) <= plain
    assert not any(path.startswith("/ui") or path.startswith("/_inference/_") for path in plain)
    documented = app.openapi()["paths"]
    assert all("post" in documented[path] for path in HOT)
    assert documented["/v1/chat/completions"]["post"]["summary"] == "Chat Completions"


def test_each_plain_route_is_its_declaration_s_and_the_others_are_fastapi_s() -> None:
    routes = list(declared())
    assert [r.plain for r in routes if r.plain is not None] == plain_routes()
    assert {r.path for r in routes if r.plain is not None} >= set(HOT)
    assert all(r.method == "post" for r in routes if r.plain is not None)
    assert not any(r.plain for r in routes if r.path in ("/_security/api_key", "/_hfgate/apply"))


async def test_other_methods_on_a_plain_path_keep_their_answers(fake_api: httpx.AsyncClient) -> None:
    answer = await fake_api.get("/v1/embeddings")
    assert answer.status_code == 405
    assert answer.json()["error"]["type"]


async def test_a_plain_route_checks_the_key_and_role(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", log_format="text", api_keys=["admin-key"])
    async with app_client(settings) as http:
        anonymous = await http.post("/v1/embeddings", json={"model": "x", "input": "a"})
        made = await http.post(
            "/_security/api_key",
            json={"name": "reader", "roles": ["monitor"]},
            headers={"Authorization": "Bearer admin-key"},
        )
        assert made.status_code == 200, made.text
        monitor = await http.post(
            "/v1/embeddings",
            json={"model": "x", "input": "a"},
            headers={"Authorization": f"Bearer {made.json()['encoded']}"},
        )
    assert anonymous.status_code == 401
    assert monitor.status_code == 403
    assert "infer" in monitor.text


def test_a_post_route_a_plain_route_declared_after_it_would_overtake_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    routes = FaceRoutes(OPENAI, tag="test", error=None)

    @routes.post("/v1/{anything}", role="open", body=None)
    async def other(anything: str, extra: int) -> Response:  # takes more than a plain route gives
        return Response()

    @routes.post("/v1/embeddings", role="open", body=None)
    async def inference(request: Request, orch: OrchestratorDep) -> Response:
        return Response()

    assert [r.plain is None for r in routes.declared] == [True, False]
    monkeypatch.setattr(declared_module, "FACE_ROUTES", (routes,))
    with pytest.raises(ValueError, match=r"POST /v1/\{anything\} would be overtaken"):
        plain_routes()


def test_plain_routes_go_before_the_first_fastapi_route_in_order(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    routes = app.router.routes
    first_fastapi = next(i for i, r in enumerate(routes) if isinstance(r, APIRoute) or type(r) is not Route)
    assert routes[first_fastapi - len(plain_routes()) : first_fastapi] == plain_routes()
    names = [getattr(route, "name", "") for route in routes[:first_fastapi]]
    assert names.index("embeddings") < names.index("embed") < names.index("openai_embeddings")
