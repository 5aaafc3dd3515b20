"""Gateway API keys, the body size limit, request ids, and secrets that never leave the registry."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from hfgate.config import Settings
from hfgate.services import ServiceContext
from tests.conftest import app_client

EMB = {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2"}}


@pytest.fixture
def keyed(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, api_keys="k-one, k-two", log_format="text")  # type: ignore[arg-type]


async def test_keys_are_required_everywhere_but_health(keyed: Settings, shared_context: ServiceContext) -> None:
    async with app_client(keyed, shared_context) as http:
        assert (await http.get("/health")).status_code == 200
        missing = await http.get("/_inference")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        assert "HFGATE_API_KEYS" in missing.json()["error"]["reason"]
        wrong = await http.get("/_inference", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        basic = await http.get("/_inference", headers={"Authorization": "Basic k-one"})
        assert basic.status_code == 401
        for key in ("k-one", "k-two"):
            ok = await http.get("/_inference", headers={"Authorization": f"Bearer {key}"})
            assert ok.status_code == 200


async def test_oversized_body_is_413_without_reading_it(tmp_path: Path, shared_context: ServiceContext) -> None:
    settings = Settings(data_dir=tmp_path, max_body_bytes=1000, log_format="text")
    async with app_client(settings, shared_context) as http:
        declared = await http.post("/_inference/.all-minilm-l6-v2", json={"input": "x" * 5000})
        assert declared.status_code == 413
        assert "HFGATE_MAX_BODY_BYTES" in declared.json()["error"]["reason"]

        async def chunks():  # type: ignore[no-untyped-def]
            for _ in range(10):
                yield b"x" * 500

        streamed = await http.post("/_inference/.all-minilm-l6-v2", content=chunks())
        assert streamed.status_code == 413


async def test_request_id_is_echoed_or_made(fake_api: httpx.AsyncClient) -> None:
    given = await fake_api.get("/health", headers={"X-Request-Id": "abc123"})
    assert given.headers["x-request-id"] == "abc123"
    made = await fake_api.get("/health")
    assert len(made.headers["x-request-id"]) == 32


async def test_secret_never_appears_in_responses_database_or_logs(
    tmp_path: Path, shared_context: ServiceContext
) -> None:
    from hfgate.services import SERVICES

    if "hugging_face" not in SERVICES:
        pytest.fail("the hugging_face service (the one with an api_key) is not registered")
    secret = "hf_PLAINTEXTsecretTHATmustNEVERleak42"
    settings = Settings(data_dir=tmp_path / "data", log_format="json", log_level="debug")
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(handler.format(record) + repr(record.__dict__))  # type: ignore[method-assign]
    async with app_client(settings, shared_context) as http:
        logging.getLogger("hfgate").addHandler(handler)
        try:
            config = {
                "service": "hugging_face",
                "service_settings": {"api_key": secret, "url": "http://127.0.0.1:9/embed"},
            }
            responses = [
                await http.put("/_inference/text_embedding/hf", json=config, params={"skip_validation": "true"}),
                await http.get("/_inference/hf"),
                await http.get("/_inference"),
                await http.put("/_inference/hf/_update", json={"service_settings": {"api_key": secret + "2"}}),
                await http.post("/_inference/hf", json={"input": "x"}),
                await http.get("/_inference/_services"),
            ]
        finally:
            logging.getLogger("hfgate").removeHandler(handler)
    assert responses[0].status_code == 200, responses[0].text
    for response in responses:
        assert secret not in response.text
        assert secret not in str(response.headers)
    assert records, "the test must see the log records"
    assert not [r for r in records if secret in r]
    for path in (tmp_path / "data").iterdir():
        assert secret.encode() not in path.read_bytes(), f"{path.name} holds the plaintext secret"
