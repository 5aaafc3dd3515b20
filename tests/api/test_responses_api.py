"""The Responses API face (``/v1/responses``), driven by the official ``openai`` client and plain HTTP on the
embedded SmolLM2: text, streaming, stored conversations (``previous_response_id``) across two apps sharing one
database, ownership by key, the size bound, and clear refusals."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import openai
import pytest

from hfgate.config import Settings
from hfgate.services import ServiceContext
from tests.conftest import app_client

GENERATOR = ".smollm2-135m-instruct"
BOOT = {"Authorization": "Bearer boot"}


@pytest.fixture
def client(live_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live_url}/v1", api_key="unused", max_retries=0)


@pytest.fixture
async def async_client(live_url: str) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=f"{live_url}/v1", api_key="unused", max_retries=0) as client:
        yield client


def _chat_text(client: openai.OpenAI, messages: list[dict[str, str]], *, max_tokens: int) -> str:
    answer = client.chat.completions.create(
        model=GENERATOR,
        messages=messages,
        max_tokens=max_tokens,
        temperature=0,  # type: ignore[arg-type]
    )
    return answer.choices[0].message.content or ""


def test_a_text_response_is_the_greedy_chat_answer(client: openai.OpenAI) -> None:
    response = client.responses.create(
        model=GENERATOR, instructions="Answer briefly.", input="Name a colour.", max_output_tokens=6, temperature=0
    )
    expected = [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Name a colour."}]
    assert response.output_text == _chat_text(client, expected, max_tokens=6)
    assert response.object == "response"
    assert response.status in ("completed", "incomplete")
    assert response.usage is not None
    assert response.usage.input_tokens > 0
    assert 0 < response.usage.output_tokens <= 6
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    if response.status == "incomplete":
        assert response.incomplete_details is not None
        assert response.incomplete_details.reason == "max_output_tokens"


def test_a_streamed_response_sends_the_documented_events_in_order(client: openai.OpenAI) -> None:
    whole = client.responses.create(model=GENERATOR, input="Say hello.", max_output_tokens=6, temperature=0)
    events = list(
        client.responses.create(model=GENERATOR, input="Say hello.", max_output_tokens=6, temperature=0, stream=True)
    )
    kinds = [e.type for e in events]
    assert kinds[:4] == [
        "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"
    ]  # fmt: skip
    assert kinds[-4:] == [
        "response.output_text.done", "response.content_part.done", "response.output_item.done",
        "response.completed" if whole.status == "completed" else "response.incomplete",
    ]  # fmt: skip
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    final = events[-1].response  # type: ignore[union-attr]
    assert deltas == final.output_text == whole.output_text
    assert final.usage is not None
    assert final.usage.output_tokens == whole.usage.output_tokens  # type: ignore[union-attr]


async def test_the_async_client_reads_and_streams(async_client: openai.AsyncOpenAI) -> None:
    whole = await async_client.responses.create(model=GENERATOR, input="Hi", max_output_tokens=4, temperature=0)
    stream = await async_client.responses.create(
        model=GENERATOR, input="Hi", max_output_tokens=4, temperature=0, stream=True
    )
    text = "".join([e.delta async for e in stream if e.type == "response.output_text.delta"])
    assert text == whole.output_text


def test_previous_response_id_continues_the_conversation(client: openai.OpenAI) -> None:
    first = client.responses.create(model=GENERATOR, input="My name is Ada.", max_output_tokens=8, temperature=0)
    second = client.responses.create(
        model=GENERATOR, previous_response_id=first.id, input="What is my name?", max_output_tokens=8, temperature=0
    )
    history = [
        {"role": "user", "content": "My name is Ada."},
        {"role": "assistant", "content": first.output_text},
        {"role": "user", "content": "What is my name?"},
    ]
    assert second.output_text == _chat_text(client, history, max_tokens=8)
    assert second.previous_response_id == first.id
    assert client.responses.retrieve(second.id).output_text == second.output_text
    items = client.responses.input_items.list(second.id)
    roles = [getattr(item, "role", item.type) for item in items.data]
    assert roles == ["user", "assistant", "user"]


def test_store_false_keeps_nothing(client: openai.OpenAI) -> None:
    response = client.responses.create(model=GENERATOR, input="Hi", max_output_tokens=2, store=False)
    assert response.store is False
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.retrieve(response.id)
    assert caught.value.body["param"] == "response_id"  # type: ignore[index]
    with pytest.raises(openai.NotFoundError) as continued:
        client.responses.create(model=GENERATOR, input="Hi", previous_response_id=response.id)
    assert continued.value.body["param"] == "previous_response_id"  # type: ignore[index]
    assert "never stored" in continued.value.body["message"]  # type: ignore[index]


def test_delete_removes_a_stored_response(client: openai.OpenAI) -> None:
    response = client.responses.create(model=GENERATOR, input="Hi", max_output_tokens=2)
    client.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)


@pytest.mark.parametrize(
    ("body", "param", "words"),
    [
        ({"tools": [{"name": "no_type"}]}, "tools[0].type", "a tool object with a [type]"),
        ({"input": [{"type": "web_search_call", "id": "ws"}]}, "input[0].type", "function_call_output"),
        ({"input": [{"role": "robot", "content": "x"}]}, "input[0].role", "one of [user"),
        ({"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]}, "input[0].content[0]",
         "is a file ([input_file])"),
        ({"input": [{"role": "user", "content": [{"type": "input_audio"}]}]}, "input[0].content[0]", "input_image"),
        ({"input": [{"type": "function_call_output", "call_id": "c", "output": 3}]}, "input[0].output", "string"),
        ({"tool_choice": "sometimes"}, "tool_choice", "required"),
        ({"tool_choice": "required", "tools": [{"type": "web_search"}]}, "tool_choice", "no function tool"),
        ({"tool_choice": {"type": "function", "name": "nope"}, "tools": [{"type": "function", "name": "f"}]},
         "tool_choice.name", "not one of"),
        ({"background": True}, "background", "not supported"),
        ({"include": ["message.output_text.logprobs"]}, "include", "no log probabilities"),
        ({"input": []}, "input", "non-empty"),
    ],
)  # fmt: skip
def test_what_cannot_be_honoured_is_a_400_naming_the_field(
    live_url: str, body: dict[str, object], param: str, words: str
) -> None:
    answer = httpx.post(f"{live_url}/v1/responses", json={"model": GENERATOR, "input": "Hi", **body})
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["param"] == param
    assert words in error["message"]


def test_an_unknown_endpoint_is_refused_and_an_unknown_field_is_not(live_url: str) -> None:
    """A field hfgate does not know is passed on (tests/api/test_request_fields.py); built-in tools are left out."""
    missing = httpx.post(f"{live_url}/v1/responses", json={"model": "nope", "input": "Hi"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "model_not_found"
    body = {
        "model": GENERATOR,
        "input": "Hi",
        "modality": "x",
        "max_output_tokens": 1,
        "tools": [{"type": "web_search"}],
    }
    unknown = httpx.post(f"{live_url}/v1/responses", json=body)
    assert unknown.status_code == 200, unknown.text
    assert unknown.json()["tools"] == []  # the tools the model had (Open Responses' Tool: function tools only)


async def test_a_conversation_continues_on_another_replica_of_the_same_database(
    tmp_path: Path, database_url: str | None, shared_context: ServiceContext
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, log_format="text")
    async with app_client(settings, shared_context) as one, app_client(settings, shared_context) as two:
        body = {"model": GENERATOR, "input": "My name is Ada.", "max_output_tokens": 4, "temperature": 0}
        first = (await one.post("/v1/responses", json=body)).json()
        follow = {**body, "input": "And yours?", "previous_response_id": first["id"]}
        second = await two.post("/v1/responses", json=follow)
        assert second.status_code == 200, second.text
        items = (await one.get(f"/v1/responses/{second.json()['id']}/input_items")).json()["data"]
        assert [item.get("role") for item in items] == ["user", "assistant", "user"]
        assert items[1]["content"][0]["text"] == first["output"][0]["content"][0]["text"]


async def test_a_stored_response_belongs_to_its_key(tmp_path: Path, shared_context: ServiceContext) -> None:
    settings = Settings(data_dir=tmp_path / "data", api_keys=["boot"], log_format="text")
    async with app_client(settings, shared_context) as http:
        alice, bob = [await _infer_key(http, name) for name in ("alice", "bob")]
        made = await http.post(
            "/v1/responses", json={"model": GENERATOR, "input": "Hi", "max_output_tokens": 2}, headers=alice
        )
        response_id = made.json()["id"]
        assert (await http.get(f"/v1/responses/{response_id}", headers=alice)).status_code == 200
        assert (await http.get(f"/v1/responses/{response_id}", headers=bob)).status_code == 404
        follow = {"model": GENERATOR, "input": "Hi", "previous_response_id": response_id}
        assert (await http.post("/v1/responses", json=follow, headers=bob)).status_code == 404
        assert (await http.delete(f"/v1/responses/{response_id}", headers=bob)).status_code == 404
        assert (await http.get("/v1/responses", headers=alice)).status_code == 403
        listed = (await http.get("/v1/responses", headers=BOOT)).json()["data"]
        assert [r["id"] for r in listed] == [response_id]
        assert (await http.get(f"/v1/responses/{response_id}", headers=BOOT)).status_code == 200
        assert (await http.delete(f"/v1/responses/{response_id}", headers=alice)).status_code == 200
        assert (await http.get(f"/v1/responses/{response_id}", headers=BOOT)).status_code == 404


async def _infer_key(http: httpx.AsyncClient, name: str) -> dict[str, str]:
    created = await http.post("/_security/api_key", json={"name": name, "roles": ["infer"]}, headers=BOOT)
    assert created.status_code == 200, created.text
    return {"Authorization": f"Bearer {created.json()['encoded']}"}


async def test_a_conversation_over_the_size_bound_is_refused_before_any_work(
    tmp_path: Path, shared_context: ServiceContext
) -> None:
    settings = Settings(data_dir=tmp_path / "data", responses_max_bytes=2000, log_format="text")
    async with app_client(settings, shared_context) as http:
        body = {"model": GENERATOR, "input": "x" * 3000, "max_output_tokens": 2}
        refused = await http.post("/v1/responses", json=body)
        assert refused.status_code == 413
        assert "HFGATE_RESPONSES_MAX_BYTES" in refused.json()["error"]["message"]
        unstored = await http.post("/v1/responses", json={**body, "store": False})
        assert unstored.status_code == 200, unstored.text


WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather in a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string", "enum": ["Paris", "London", "Tokyo"]}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


def test_a_named_tool_choice_answers_a_function_call_and_its_output_continues_the_turn(client: openai.OpenAI) -> None:
    question = "What is the weather in Paris?"
    first = client.responses.create(
        model=GENERATOR, input=question, tools=[WEATHER], tool_choice={"type": "function", "name": "get_weather"},
        max_output_tokens=40,
    )  # type: ignore[arg-type]  # fmt: skip
    (call,) = [item for item in first.output if item.type == "function_call"]
    assert call.name == "get_weather"
    assert json.loads(call.arguments)["city"] in ("Paris", "London", "Tokyo")
    assert call.call_id.startswith("call_")
    second = client.responses.create(
        model=GENERATOR, previous_response_id=first.id, tools=[WEATHER], max_output_tokens=12, temperature=0,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": '{"celsius": 21}'}],
    )  # type: ignore[arg-type]  # fmt: skip
    history = [
        {"role": "user", "content": question},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": call.call_id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}]},
        {"role": "tool", "tool_call_id": call.call_id, "content": '{"celsius": 21}'},
    ]  # fmt: skip
    chat = client.chat.completions.create(
        model=GENERATOR,
        messages=history,
        tools=[_chat_tool(WEATHER)],
        max_tokens=12,
        temperature=0,  # type: ignore[arg-type, list-item]
    )
    assert second.output_text == (chat.choices[0].message.content or "")
    assert [i.type for i in second.output] == [
        "function_call" if chat.choices[0].message.tool_calls else "message"
    ] * len(second.output)


def _chat_tool(tool: dict[str, object]) -> dict[str, object]:
    function = {k: v for k, v in tool.items() if k != "type"}
    return {"type": "function", "function": function}


def test_a_streamed_function_call_sends_argument_deltas_that_join_to_the_arguments(client: openai.OpenAI) -> None:
    stream = client.responses.create(
        model=GENERATOR, input="What is the weather in Tokyo?", tools=[WEATHER], tool_choice="required",
        max_output_tokens=40, stream=True,
    )  # type: ignore[call-overload]  # fmt: skip
    events = list(stream)
    kinds = [e.type for e in events]
    assert "response.function_call_arguments.delta" in kinds
    final = events[-1].response  # type: ignore[union-attr]
    (call,) = [item for item in final.output if item.type == "function_call"]
    deltas = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    done = next(e for e in events if e.type == "response.function_call_arguments.done")
    assert deltas == done.arguments == call.arguments  # type: ignore[union-attr]
    assert json.loads(call.arguments)["city"] in ("Paris", "London", "Tokyo")
    added = next(e for e in events if e.type == "response.output_item.added")
    assert added.item.type == "function_call"  # type: ignore[union-attr]
    assert added.item.name == "get_weather"  # type: ignore[union-attr]
