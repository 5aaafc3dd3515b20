"""``/v1/responses`` on a hosted model is passed to the router's own Responses API (tests/fakes/router_responses.py
cites each behaviour of the fake), driven by the real ``openai`` client over real HTTP: whole, streamed event by
event, async, a function call and its output, ``previous_response_id`` answered from hfgate's store (the router
keeps no state), ``store: false``. An endpoint by url keeps being translated to a chat."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.conftest import app_client
from tests.fakes.hf_fixtures import fake_hf, fake_hf_server, hf_settings
from tests.fakes.hf_server import FAKE_CALL_ID, TOKEN, FakeHF, Fault
from tests.support.live_server import live_server

__all__ = ["fake_hf", "fake_hf_server"]

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
ROUTED = f"{LLAMA}:together"  # the provider recorded at create (the first live one)
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture(scope="module")
def gateway(fake_hf_server: FakeHF, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """hfgate with a hosted chat endpoint (``hosted``) and one by url on the fake vLLM (``by-url``)."""
    settings = hf_settings(fake_hf_server.base, tmp_path_factory.mktemp("relay")).model_copy(
        update={"provision_defaults": False, "registry_cache_seconds": 0, "log_format": "text"}
    )
    with live_server(settings) as url:
        for name, where in (("hosted", {"model_id": LLAMA}), ("by-url", {"url": f"{fake_hf_server.base}/vllm"})):
            body = {"service": "hugging_face", "service_settings": {"api_key": TOKEN, **where}}
            created = httpx.put(f"{url}/_inference/chat_completion/{name}", json=body, timeout=30)
            assert created.status_code == 200, created.text
        yield url


@pytest.fixture
def client(gateway: str, fake_hf: FakeHF) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{gateway}/v1", api_key="unused", max_retries=0) as client:
        yield client


def sent(fake: FakeHF) -> list[dict[str, Any]]:
    bodies = [hit.body for hit in fake.hits("/router/v1/responses")]
    assert all(isinstance(b, dict) for b in bodies)
    return bodies  # type: ignore[return-value]


def test_a_hosted_model_s_response_is_the_router_s_own(client: openai.OpenAI, fake_hf: FakeHF) -> None:
    response = client.responses.create(
        model="hosted", instructions="Be brief.", input="Name a colour.", max_output_tokens=4, metadata={"k": "v"}
    )
    assert response.output_text == " w0 w1 w2 w3"
    assert response.status == "completed"
    assert response.model == ROUTED  # the router's object, unchanged
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (5, 4)
    [body] = sent(fake_hf)
    assert body == {
        "model": ROUTED, "instructions": "Be brief.", "input": "Name a colour.", "max_output_tokens": 4,
        "metadata": {"k": "v"}, "stream": False,
    }  # fmt: skip
    assert fake_hf.hits("/router/v1/chat/completions") == []
    assert client.responses.retrieve(response.id).output_text == " w0 w1 w2 w3"


def test_a_stream_is_relayed_event_by_event(client: openai.OpenAI, fake_hf: FakeHF) -> None:
    with client.responses.stream(model="hosted", input="Say hello.", max_output_tokens=3) as stream:
        events = list(stream)
        final = stream.get_final_response()
    kinds = [e.type for e in events]
    assert kinds == [
        "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.delta", "response.output_text.delta",
        "response.output_text.done", "response.content_part.done", "response.output_item.done",
        "response.completed",
    ]  # fmt: skip
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert final.output_text == " w0 w1 w2"
    assert sent(fake_hf)[0]["stream"] is True
    assert client.responses.retrieve(final.id).output_text == " w0 w1 w2"  # stored once the stream ended


def test_the_wire_carries_the_router_s_framing(gateway: str, fake_hf: FakeHF) -> None:
    body = {"model": "hosted", "input": "hi", "stream": True, "max_output_tokens": 1}
    with httpx.stream("POST", f"{gateway}/v1/responses", json=body, timeout=30) as answer:
        text = "".join(answer.iter_text())
    assert answer.status_code == 200
    assert "event:" not in text  # as the router sends it: data lines only, no [DONE]
    assert "[DONE]" not in text
    assert text.startswith('data: {"type":"response.created"')


async def test_the_async_client_reads_and_streams(gateway: str, fake_hf: FakeHF) -> None:
    async with openai.AsyncOpenAI(base_url=f"{gateway}/v1", api_key="unused", max_retries=0) as client:
        whole = await client.responses.create(model="hosted", input="one two", max_output_tokens=2)
        streamed = await client.responses.create(model="hosted", input="one two", max_output_tokens=2, stream=True)
        deltas = [e.delta async for e in streamed if e.type == "response.output_text.delta"]
    assert whole.output_text == "".join(deltas) == " w0 w1"


def test_a_function_call_and_its_output_continue_through_previous_response_id(
    client: openai.OpenAI, fake_hf: FakeHF
) -> None:
    first = client.responses.create(model="hosted", input="weather in Paris", tools=[WEATHER])  # type: ignore[list-item]
    [call] = first.output
    assert call.type == "function_call"
    assert (call.call_id, call.name, call.arguments) == (FAKE_CALL_ID, "get_weather", '{"asked":"weather in Paris"}')

    output = {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}
    second = client.responses.create(model="hosted", previous_response_id=first.id, input=[output])  # type: ignore[list-item]
    assert second.output_text.startswith(" w0")
    replayed = sent(fake_hf)[1]
    assert "previous_response_id" not in replayed  # the router would drop it: hfgate sent the history instead
    assert "store" not in replayed
    assert replayed["input"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "weather in Paris"}]},
        call.model_dump(exclude_none=True),
        output,
    ]


def test_a_streamed_function_call_joins_its_argument_deltas(client: openai.OpenAI, fake_hf: FakeHF) -> None:
    events = list(client.responses.create(model="hosted", input="weather in Paris", tools=[WEATHER], stream=True))  # type: ignore[list-item]
    pieces = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    assert pieces == '{"asked":"weather in Paris"}'
    assert events[-1].type == "response.completed"


def test_store_false_keeps_nothing_and_the_router_is_not_told(client: openai.OpenAI, fake_hf: FakeHF) -> None:
    response = client.responses.create(model="hosted", input="hi", store=False, max_output_tokens=1)
    assert "store" not in sent(fake_hf)[0]
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="hosted", input="again", previous_response_id=response.id)


def test_a_router_conversation_continues_on_an_endpoint_by_url(client: openai.OpenAI, fake_hf: FakeHF) -> None:
    first = client.responses.create(model="hosted", input="weather in Paris", tools=[WEATHER])  # type: ignore[list-item]
    output = {"type": "function_call_output", "call_id": FAKE_CALL_ID, "output": "sunny"}
    client.responses.create(model="by-url", previous_response_id=first.id, input=[output])  # type: ignore[list-item]
    [chat] = [hit.body for hit in fake_hf.hits("/vllm/v1/chat/completions")]
    assert isinstance(chat, dict)
    assert [m["role"] for m in chat["messages"]] == ["user", "assistant", "tool"]
    assert chat["messages"][1]["tool_calls"][0]["id"] == FAKE_CALL_ID
    assert len(sent(fake_hf)) == 1  # only the first turn went to the router


def test_an_endpoint_by_url_is_translated_to_a_chat(client: openai.OpenAI, fake_hf: FakeHF) -> None:
    response = client.responses.create(model="by-url", input="one two", max_output_tokens=2)
    assert response.output_text == " w0 w1"
    assert len(fake_hf.hits("/vllm/v1/chat/completions")) == 1
    assert sent(fake_hf) == []


def test_a_model_the_router_cannot_serve_is_a_502_naming_its_reason(
    gateway: str, fake_hf: FakeHF, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fakes import hf_server

    monkeypatch.setitem(hf_server.HOSTED, LLAMA, hf_server.HostedModel("text-generation", "chat-only"))
    answer = httpx.post(f"{gateway}/v1/responses", json={"model": "hosted", "input": "hi"}, timeout=30)
    assert answer.status_code == 502, answer.text
    assert "is not supported by any provider you have enabled" in answer.json()["error"]["message"]


def test_a_streamed_failure_is_relayed_as_the_router_sent_it_and_not_stored(
    client: openai.OpenAI, fake_hf: FakeHF, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fakes import hf_server

    monkeypatch.setitem(hf_server.HOSTED, LLAMA, hf_server.HostedModel("text-generation", "chat-only"))
    events = list(client.responses.create(model="hosted", input="hi", stream=True))
    assert [e.type for e in events] == ["response.created", "response.in_progress", "response.failed"]
    failed = events[-1].response  # type: ignore[union-attr]
    assert failed.error is not None
    assert "not supported" in failed.error.message
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(failed.id)


def test_a_stream_the_router_closes_before_its_final_event_ends_with_an_error_and_is_not_stored(
    gateway: str, fake_hf: FakeHF
) -> None:
    fake_hf.inject("/router/v1/responses", Fault(stream_closed_after=4))
    body = {"model": "hosted", "input": "Say hello.", "stream": True, "max_output_tokens": 5}
    with httpx.stream("POST", f"{gateway}/v1/responses", json=body, timeout=30) as answer:
        events = [json.loads(line[6:]) for line in answer.iter_lines() if line.startswith("data: ")]
    assert [e["type"] for e in events[:4]] == ["response.created", "response.in_progress",
                                               "response.output_item.added", "response.content_part.added"]  # fmt: skip
    assert events[-1]["type"] == "error", events[-1]
    assert "ended before the answer was complete" in events[-1]["message"]
    created = events[0]["response"]["id"]
    assert httpx.get(f"{gateway}/v1/responses/{created}", timeout=30).status_code == 404


async def test_a_relayed_conversation_belongs_to_its_key_and_continues_on_another_replica(
    fake_hf: FakeHF, tmp_path: Path
) -> None:
    boot = {"Authorization": "Bearer boot"}
    settings = hf_settings(fake_hf.base, tmp_path).model_copy(
        update={"provision_defaults": False, "api_keys": ["boot"], "log_format": "text"}
    )
    async with app_client(settings) as one, app_client(settings) as two:
        hosted = {"service": "hugging_face", "service_settings": {"api_key": TOKEN, "model_id": LLAMA}}
        assert (await one.put("/_inference/chat_completion/hosted", json=hosted, headers=boot)).status_code == 200
        alice, bob = [await _infer_key(one, name, boot) for name in ("alice", "bob")]
        body = {"model": "hosted", "input": "weather in Paris", "tools": [WEATHER]}
        first = (await one.post("/v1/responses", json=body, headers=alice)).json()
        output = {"type": "function_call_output", "call_id": FAKE_CALL_ID, "output": "sunny"}
        follow = {"model": "hosted", "previous_response_id": first["id"], "input": [output]}
        assert (await two.post("/v1/responses", json=follow, headers=bob)).status_code == 404
        assert (await two.get(f"/v1/responses/{first['id']}", headers=bob)).status_code == 404
        second = await two.post("/v1/responses", json=follow, headers=alice)
        assert second.status_code == 200, second.text
        replayed = sent(fake_hf)[-1]["input"]
        assert [item["type"] for item in replayed] == ["message", "function_call", "function_call_output"]
        assert len(sent(fake_hf)) == 2  # bob's refused turn never reached the router


async def _infer_key(http: httpx.AsyncClient, name: str, boot: dict[str, str]) -> dict[str, str]:
    created = await http.post("/_security/api_key", json={"name": name, "roles": ["infer"]}, headers=boot)
    assert created.status_code == 200, created.text
    return {"Authorization": f"Bearer {created.json()['encoded']}"}


PNG = "data:image/png;base64,iVBORw0KGgo="
PDF = {"type": "input_file", "filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0xLjEK"}


def _with_part(part: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "What is it?"}, part]}]


def test_an_image_and_a_file_reach_the_router_as_sent(gateway: str, fake_hf: FakeHF) -> None:
    """Open Responses' ``image-input`` and ``file-input`` (openresponses/openresponses,
    ``src/lib/compliance-tests.ts``) on a hosted model: the parts go to the router unchanged."""
    image = {"type": "input_image", "image_url": PNG}
    for part in (image, PDF):
        answer = httpx.post(f"{gateway}/v1/responses", json={"model": "hosted", "input": _with_part(part)})
        assert answer.status_code == 200, answer.text
        assert sent(fake_hf)[-1]["input"][0]["content"][1] == part


def test_an_image_reaches_an_upstream_by_url_and_a_file_is_a_400_naming_the_part(gateway: str, fake_hf: FakeHF) -> None:
    image = {"type": "input_image", "image_url": PNG}
    answer = httpx.post(f"{gateway}/v1/responses", json={"model": "by-url", "input": _with_part(image)})
    assert answer.status_code == 200, answer.text
    [chat] = [hit.body for hit in fake_hf.hits("/vllm/v1/chat/completions")]
    assert isinstance(chat, dict)
    assert chat["messages"][0]["content"][1] == {"type": "image_url", "image_url": {"url": PNG}}
    refused = httpx.post(f"{gateway}/v1/responses", json={"model": "by-url", "input": _with_part(PDF)})
    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "input[0].content[1]"
