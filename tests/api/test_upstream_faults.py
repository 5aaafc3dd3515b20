"""Upstreams that die, hang or answer garbage: every request still ends in a result or a typed error.

Real HTTP on both sides: hfgate on uvicorn, the failing upstream on aiohttp (tests/fakes/hostile_upstream).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import orjson
import pytest

from hfgate.api.app import create_app
from hfgate.config import Settings
from tests.fakes.hostile_upstream import HostileUpstream, hostile
from tests.support.live_server import serve_app

__all__ = ["hostile"]  # the module's fixture


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory, hostile: HostileUpstream) -> Iterator[httpx.Client]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("faults"), provision_defaults=False, log_format="text", log_level="error"
    )
    with serve_app(create_app(settings)) as url, httpx.Client(base_url=url, timeout=60) as client:
        for task, name in (("completion", "killed"), ("completion", "closed"), ("completion", "tgi"),
                           ("text_embedding", "hang"), ("text_embedding", "truncated"),
                           ("text_embedding", "html")):  # fmt: skip
            body = {"service": "hugging_face", "service_settings": {"url": f"{hostile.base}/{name}/", "api_key": "k"}}
            created = client.put(f"/_inference/{task}/{name}?skip_validation=true", json=body)
            assert created.status_code == 200, created.text
        yield client


def _events(answer: httpx.Response) -> list[tuple[str, str]]:
    events = []
    for block in answer.text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((fields.get("event", "message"), fields.get("data", "")))
    return events


def test_a_healthy_stream_ends_with_done(http: httpx.Client) -> None:
    answer = http.post("/_inference/completion/tgi/_stream", json={"input": "Hi"})
    assert answer.status_code == 200
    assert _events(answer)[-1] == ("message", "[DONE]")


def test_an_upstream_killed_mid_stream_ends_the_stream_with_an_error_event(http: httpx.Client) -> None:
    started = time.monotonic()
    answer = http.post("/_inference/completion/killed/_stream", json={"input": "Hi"})
    assert time.monotonic() - started < 30  # no hang
    assert answer.status_code == 200  # the headers were sent with the first token
    events = _events(answer)
    assert events[0][0] == "message"
    kind, data = events[-1]
    assert kind == "error"
    error = orjson.loads(data)["error"]
    assert error["type"] == "status_exception"
    assert "[killed]" in error["reason"]
    assert "broke before the answer was complete" in error["reason"]


def test_a_stream_closed_cleanly_before_its_last_event_ends_with_an_error_event_not_as_complete(
    http: httpx.Client,
) -> None:
    answer = http.post("/_inference/completion/closed/_stream", json={"input": "Hi"})
    assert answer.status_code == 200
    events = _events(answer)
    assert [kind for kind, _ in events[:-1]] == ["message", "message"]  # the two tokens sent before the end
    kind, data = events[-1]
    assert kind == "error", events
    error = orjson.loads(data)["error"]
    assert "[closed]" in error["reason"]
    assert "ended before the answer was complete" in error["reason"]


@pytest.mark.slow  # seconds of real waiting: in `make test`, not `make check`
def test_an_upstream_that_never_answers_is_cut_at_the_timeout_and_its_connection_released(
    http: httpx.Client, hostile: HostileUpstream
) -> None:
    started = time.monotonic()
    answer = http.post("/_inference/text_embedding/hang?timeout=2s", json={"input": "a"})
    elapsed = time.monotonic() - started
    assert answer.status_code in (408, 504), answer.text
    assert "[2s]" in answer.json()["error"]["reason"]  # the timeout the request asked for, named
    assert elapsed < 15  # the timeout holds, retries included
    deadline = time.monotonic() + 10
    while hostile.hanging and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hostile.hanging == 0  # hfgate hung up: no connection left open on the upstream


@pytest.mark.slow  # seconds of real waiting: in `make test`, not `make check`
def test_a_truncated_body_is_a_502_naming_the_endpoint(http: httpx.Client) -> None:
    answer = http.post("/_inference/text_embedding/truncated?timeout=10s", json={"input": "a"})
    assert answer.status_code == 502, answer.text
    assert "[truncated]" in answer.json()["error"]["reason"]


def test_a_non_json_body_is_a_502_saying_so(http: httpx.Client) -> None:
    answer = http.post("/_inference/text_embedding/html", json={"input": "a"})
    assert answer.status_code == 502
    reason = answer.json()["error"]["reason"]
    assert "the body is not JSON" in reason
    assert "[html]" in reason


def test_after_every_fault_the_same_connection_still_serves(http: httpx.Client) -> None:
    for _ in range(3):
        http.post("/_inference/text_embedding/html", json={"input": "a"})
        assert http.get("/health").status_code == 200
