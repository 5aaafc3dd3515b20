"""The Responses API's WebSocket mode, driven by the ``openai`` package's own client
(``client.responses.connect()``), through a ``hugging_face`` endpoint by url on the stand-in coding model:
a tool turn over one socket, continued with ``store: false`` by ``previous_response_id``, a warm-up,
errors as ``error`` events, and the gateway key checked at the handshake."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai.resources.responses.responses import ResponsesConnection

from hfgate.config import Settings
from tests.fakes.coding_model import ANSWER, OUTPUT, CodingModel
from tests.support.agent_requests import ENDPOINT

TOOLS: Any = [{"type": "function", "name": "exec_command", "parameters": {
    "type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]}}]  # fmt: skip


@pytest.fixture
def socket(coding: tuple[str, CodingModel]) -> Iterator[ResponsesConnection]:
    client = openai.OpenAI(base_url=f"{coding[0]}/v1", api_key="unused", max_retries=0)
    with client.responses.connect(max_retries=0) as connection:
        yield connection


def _until_done(connection: ResponsesConnection) -> tuple[list[str], Any]:
    kinds: list[str] = []
    for event in connection:
        kinds.append(event.type)
        if event.type in ("response.completed", "response.incomplete", "response.failed", "error"):
            return kinds, event
    raise AssertionError(f"the socket closed after {kinds}")


def test_a_tool_turn_over_one_socket_continues_with_store_false(
    socket: ResponsesConnection, coding: tuple[str, CodingModel]
) -> None:
    socket.response.create(model=ENDPOINT, input="Run the command.", tools=TOOLS, store=False)
    kinds, done = _until_done(socket)
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert "response.function_call_arguments.done" in kinds
    assert done.type == "response.completed"
    (call,) = done.response.output
    output = [{"type": "function_call_output", "call_id": call.call_id, "output": OUTPUT}]
    socket.response.create(model=ENDPOINT, previous_response_id=done.response.id, input=output, tools=TOOLS,
                           store=False)  # fmt: skip
    _, answer = _until_done(socket)
    assert answer.type == "response.completed", answer
    assert answer.response.output[0].content[0].text == ANSWER + OUTPUT
    sent = coding[1].requests[-1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool"]  # only the new input travelled


def test_a_warm_up_answers_without_the_model_and_can_be_continued(
    socket: ResponsesConnection, coding: tuple[str, CodingModel]
) -> None:
    asked = len(coding[1].requests)
    warm_up = {"type": "response.create", "model": ENDPOINT, "input": "Run the command.", "tools": TOOLS,
               "store": False, "generate": False}  # fmt: skip
    socket.send_raw(json.dumps(warm_up))
    kinds, warm = _until_done(socket)
    assert kinds == ["response.created", "response.completed"]
    assert warm.response.output == []
    assert len(coding[1].requests) == asked
    socket.response.create(model=ENDPOINT, previous_response_id=warm.response.id, input=[], tools=TOOLS, store=False)
    _, done = _until_done(socket)
    assert done.response.output[0].type == "function_call"
    assert coding[1].requests[-1]["messages"][0]["content"] == "Run the command."


def test_errors_are_error_events_with_the_http_status_and_the_socket_stays_open(socket: ResponsesConnection) -> None:
    socket.response.create(model="no-such-endpoint", input="Hi")
    _, error = _until_done(socket)
    assert error.type == "error"
    assert error.status == 404
    assert "no-such-endpoint" in error.error.message
    socket.send_raw(b'{"type": "response.cancel"}')
    _, wrong = _until_done(socket)
    assert wrong.status == 400
    assert "[type]" in wrong.error.message
    socket.response.create(model=ENDPOINT, input="Hi", store=False)
    assert _until_done(socket)[1].type == "response.completed"


def test_a_refused_key_fails_the_handshake(tmp_path: Any) -> None:
    from tests.support.live_server import live_server

    settings = Settings(data_dir=tmp_path, provision_defaults=False, log_format="text", api_keys=["the-admin-key"])
    with live_server(settings) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="not-a-key", max_retries=0)
        connecting = client.responses.connect(max_retries=0)
        with pytest.raises(Exception, match="403"):
            connecting.enter()


def test_an_answer_streamed_at_a_model_s_pace_arrives_whole(
    socket: ResponsesConnection, coding: tuple[str, CodingModel]
) -> None:
    """A turn streamed over time, as a model streams, arrives whole: every delta, then the completion."""
    coding[1].pause = 0.05
    try:
        socket.response.create(model=ENDPOINT, input="Hi", store=False)
        kinds, done = _until_done(socket)
    finally:
        coding[1].pause = 0.0
    assert done.type == "response.completed", kinds
    assert done.response.output[0].content[0].text == "I am a stand-in model and can only run one shell command."
    assert kinds.count("response.output_text.delta") == 12
