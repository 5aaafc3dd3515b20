"""The holes a new user found with malformed requests: each answers a 4xx naming the field and the fix.

Over real HTTP (uvicorn on 127.0.0.1), with httpx's pooled keep-alive client, so that the test also
sees what a pooled client sees after each answer: a connection that stays usable.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from hfgate.api.app import create_app
from hfgate.config import Settings
from hfgate.services import ServiceContext
from tests.support.live_server import serve_app

GENERATE = "/hf/.smollm2-135m-instruct/generate"
CHAT = "/v1/chat/completions"
CHAT_MODEL = ".smollm2-135m-instruct"


def _with_probe_routes(app: FastAPI) -> FastAPI:
    """Two routes the tests add to the real app: one that fails unexpectedly, one that names the
    client's port (so a test can tell whether two requests shared one connection)."""

    @app.get("/_probe/boom")
    async def boom() -> None:
        raise RuntimeError("a bug nobody handled")

    @app.get("/_probe/port")
    async def port(request: Request) -> dict[str, Any]:
        assert request.client is not None
        return {"port": request.client.port}

    return app


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, shared_context: ServiceContext) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("hostile"), log_format="text", log_level="error")
    with serve_app(_with_probe_routes(create_app(settings, context=shared_context))) as url:
        yield url


@pytest.fixture
def http(served: str) -> Iterator[httpx.Client]:
    """One keep-alive connection: every request of a test goes over the same socket, if it survives."""
    with httpx.Client(base_url=served, timeout=120, limits=httpx.Limits(max_connections=1)) as client:
        yield client


def _port(http: httpx.Client) -> int:
    port: int = http.get("/_probe/port").json()["port"]
    return port


def test_an_unexpected_exception_answers_500_and_the_connection_stays_usable(http: httpx.Client) -> None:
    before = _port(http)
    answer = http.get("/_probe/boom")
    assert answer.status_code == 500
    assert "Internal error while handling the request; request id [" in answer.text
    assert "a bug nobody handled" not in answer.text
    assert _port(http) == before  # the same connection served the request after the failure


@pytest.mark.parametrize("nested", ["x", [1, 2], 3])
def test_generate_parameters_that_are_not_an_object_are_a_422_naming_the_field(
    http: httpx.Client, nested: object
) -> None:
    before = _port(http)
    answer = http.post(GENERATE, json={"inputs": "Hi", "parameters": {"generate_parameters": nested}})
    assert answer.status_code == 422
    assert answer.json()["error_type"] == "validation"
    assert "Field [parameters.generate_parameters] must be an object" in answer.json()["error"]
    assert _port(http) == before


def test_generate_parameters_as_an_object_still_apply(http: httpx.Client) -> None:
    body = {"inputs": "Hi", "parameters": {"generate_parameters": {"max_new_tokens": 2}}}
    answer = http.post(GENERATE, json=body)
    assert answer.status_code == 200, answer.text
    assert isinstance(answer.json()["generated_text"], str)


def test_a_local_model_directory_without_a_model_is_a_400_naming_the_field(http: httpx.Client) -> None:
    body = {"service": "local", "service_settings": {"model": "/etc"}}
    answer = http.put("/_inference/text_embedding/etc-is-no-model", json=body)
    assert answer.status_code == 400
    reason = answer.json()["error"]["reason"]
    assert "[service_settings.model] [/etc] is a directory but holds no model" in reason
    assert http.get("/_inference/text_embedding/etc-is-no-model").status_code == 404


@pytest.mark.parametrize("query", ["", "?skip_validation=true"])
@pytest.mark.parametrize("url", ["http://[::1", "http://host:99999/", "http:///nohost"])
def test_a_malformed_url_is_a_400_at_create_even_without_validation(http: httpx.Client, query: str, url: str) -> None:
    body = {"service": "hugging_face", "service_settings": {"url": url, "api_key": "hf_x"}}
    answer = http.put(f"/_inference/text_embedding/bad-url{query}", json=body)
    assert answer.status_code == 400, answer.text
    assert f"Invalid url [{url}]" in answer.json()["error"]["reason"]
    assert http.get("/_inference/text_embedding/bad-url").status_code == 404


@pytest.mark.parametrize("include_usage", [[], "yes", 1, {}])
def test_stream_options_include_usage_must_be_a_boolean(http: httpx.Client, include_usage: object) -> None:
    body = {"model": CHAT_MODEL, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2, "stream": True,
            "stream_options": {"include_usage": include_usage}}  # fmt: skip
    answer = http.post(CHAT, json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "stream_options.include_usage"
    # the declared decoding says it in JSON's words, with what was sent
    assert "Field [stream_options.include_usage] must be a boolean, got [" in answer.json()["error"]["message"]


def test_a_chat_role_outside_openais_is_refused_naming_the_roles(http: httpx.Client) -> None:
    body = {"model": CHAT_MODEL, "messages": [{"role": "martian", "content": "Ack ack"}], "max_tokens": 2}
    answer = http.post(CHAT, json=body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["param"] == "messages[0].role"
    assert "[martian]" in error["message"]
    assert "system, developer, user, assistant, tool" in error["message"]


@pytest.mark.parametrize("normalize", [3, "false", []])
def test_tei_normalize_must_be_a_boolean(http: httpx.Client, normalize: object) -> None:
    answer = http.post("/hf/.all-minilm-l6-v2/embed", json={"inputs": "a", "normalize": normalize})
    assert answer.status_code == 422
    assert answer.json()["error_type"] == "Validation"
    assert "Field [normalize] must be a boolean, got [" in answer.json()["error"]
