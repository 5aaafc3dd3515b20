"""The inference POST routes have plain Starlette twins ahead of their FastAPI routes (see plain_routes.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.routing import Route

from hfgate.api.app import create_app
from hfgate.config import Settings

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


async def test_other_methods_on_a_plain_path_keep_their_answers(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hfgate") as client:
        answer = await client.get("/v1/embeddings")
    assert answer.status_code == 405
    assert answer.json()["error"]["type"]
