"""The inference POST routes have plain Starlette twins ahead of their FastAPI routes (see plain_routes.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute
from starlette.routing import Route

from hfgate.api.app import create_app
from hfgate.api.deps import OrchestratorDep
from hfgate.api.plain_routes import serve_plainly
from hfgate.config import Settings
from tests.conftest import app_client

HOT = (
    "/v1/embeddings", "/v1/chat/completions", "/v1/completions", "/hf/{inference_id}", "/hf/{inference_id}/embed",
    "/hf/{inference_id}/generate_stream", "/hf/{inference_id}/v1/embeddings", "/_inference/{inference_id}/_stream",
)  # fmt: skip


def test_inference_routes_are_served_plainly_and_stay_documented(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    plain = {r.path for r in app.router.routes if isinstance(r, Route) and r.name.endswith(".plain")}
    assert set(HOT) <= plain
    assert not any(path.startswith("/ui") or path.startswith("/_inference/_") for path in plain)
    documented = app.openapi()["paths"]
    assert all("post" in documented[path] for path in HOT)


async def test_other_methods_on_a_plain_path_keep_their_answers(fake_api: httpx.AsyncClient) -> None:
    answer = await fake_api.get("/v1/embeddings")
    assert answer.status_code == 405
    assert answer.json()["error"]["type"]


async def test_a_plain_twin_checks_the_key_and_role_like_its_fastapi_route(tmp_path: Path) -> None:
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


def test_a_post_route_a_twin_would_overtake_is_refused() -> None:
    app = FastAPI()

    @app.post("/v1/{anything}")
    async def other(anything: str) -> Response:
        return Response()

    @app.post("/v1/embeddings")
    async def inference(request: Request, orch: OrchestratorDep) -> Response:
        return Response()

    with pytest.raises(ValueError, match=r"POST /v1/\{anything\} would be overtaken"):
        serve_plainly(app)


def test_twins_go_before_the_first_fastapi_route_in_order(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    names = [getattr(route, "name", "") for route in app.router.routes]
    first_twin = names.index("stream_by_id.plain")
    assert all(not isinstance(r, APIRoute) for r in app.router.routes[:first_twin])
    assert names.index("embeddings.plain") < names.index("embed.plain") < names.index("openai_embeddings.plain")
