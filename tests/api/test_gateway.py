"""The gateway layer: the inference lane finds the route the router would, and errors keep their shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route

from hfgate.api.app import create_app
from hfgate.api.faces import face_of
from hfgate.api.gateway import InferenceLane
from hfgate.config import Settings
from hfgate.errors import ModelNotReadyError
from tests.conftest import app_client


def _scope(app: Any, method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": [], "app": app}


def _router_choice(app: Any, scope: dict[str, Any]) -> Any:
    for route in app.router.routes:
        if route.matches(scope)[0] is Match.FULL:
            return route
    return None


def test_the_lane_takes_the_route_the_router_would_or_leaves_it_to_the_router(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    lane = InferenceLane(app)
    posts = (
        "/v1/embeddings", "/v1/chat/completions", "/_inference/text_embedding/e5", "/_inference/e5",
        "/hf/e5/embed", "/hf/e5", "/_inference/e5/_stream",
    )  # fmt: skip
    for path in posts:
        scope = _scope(app, "POST", path)
        chosen = lane.route(scope)
        assert chosen is not None, path
        route, face = chosen
        assert route is _router_choice(app, _scope(app, "POST", path)), path
        assert scope["endpoint"] is route.endpoint
        assert face is face_of(path), path  # the face that declared the route owns its path
    for path in ("/_security/api_key", "/_inference/_chunk", "/ui/login", "/nowhere"):
        assert lane.route(_scope(app, "POST", path)) is None, path


async def test_an_unexpected_error_on_the_lane_is_a_face_shaped_500_with_the_request_id(tmp_path: Path) -> None:
    async def broken(request: Request) -> Response:
        raise RuntimeError("a bug")

    settings = Settings(data_dir=tmp_path / "data", log_format="text", log_level="error")
    async with app_client(settings) as http:
        app: Any = http._transport.app  # type: ignore[attr-defined]
        app.router.routes.insert(0, Route("/v1/broken", broken, methods=["POST"]))
        answer = await http.post("/v1/broken", json={}, headers={"X-Request-Id": "req-1"})
        after = await http.get("/health")
    assert answer.status_code == 500
    assert answer.headers["x-request-id"] == "req-1"
    assert "req-1" in answer.json()["error"]["message"]  # OpenAI's shape on /v1
    assert after.status_code == 200


async def test_an_error_a_lane_route_raises_is_answered_as_the_apps_handler_answers_it(tmp_path: Path) -> None:
    async def downloading(request: Request) -> Response:
        raise ModelNotReadyError("endpoint [m]: downloading", retry_after=7)

    async with app_client(Settings(data_dir=tmp_path / "data")) as http:
        app: Any = http._transport.app  # type: ignore[attr-defined]
        app.router.routes.insert(0, Route("/v1/downloading", downloading, methods=["POST"]))
        app.router.routes.append(Route("/v1/downloading-too", downloading, methods=["POST"]))  # the router's
        lane = await http.post("/v1/downloading", json={})
        router = await http.post("/v1/downloading-too", json={})
    for answer in (lane, router):
        assert (answer.status_code, answer.headers["retry-after"]) == (503, "7")
        assert answer.json()["error"]["message"] == "endpoint [m]: downloading"  # OpenAI's shape on /v1
    assert lane.json() == router.json()


async def test_a_refused_key_on_the_lane_is_answered_in_the_face_shape(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", log_format="text", api_keys=["k"])
    async with app_client(settings) as http:
        openai = await http.post("/v1/embeddings", json={"model": "m", "input": "a"}, headers={"X-Request-Id": "r"})
        es = await http.post("/_inference/text_embedding/m", json={"input": "a"}, headers={"Authorization": "Bearer x"})
    assert openai.status_code == 401
    assert openai.headers["x-request-id"] == "r"
    assert openai.json()["error"]["message"]
    assert es.status_code == 401
    assert es.headers["x-elastic-product"] == "Elasticsearch"
    assert es.json()["error"]["type"]


async def test_filter_path_applies_on_the_lane(fake_api: httpx.AsyncClient) -> None:
    answer = await fake_api.post("/_inference/text_embedding/nope?filter_path=status", json={"input": "a"})
    assert answer.status_code == 404
    assert answer.json() == {"status": 404}
