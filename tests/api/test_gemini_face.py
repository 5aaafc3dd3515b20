"""Gemini's API on the wire, against a live hfgate whose ``coder`` endpoint is a ``hugging_face`` endpoint
by url on the stand-in coding model: generate and stream with a function call and its response, the
fields read into the upstream's chat request, counting, the model list, both API versions, the gateway
key in ``x-goog-api-key`` and ``?key=``, and Gemini's error shape naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from hfgate.config import Settings
from tests.fakes.coding_model import ANSWER, COMMAND, OUTPUT, CodingModel
from tests.support.agent_requests import ENDPOINT
from tests.support.live_server import live_server

SHELL: Any = {
    "name": "run_shell_command",
    "description": "Run a shell command",
    "parametersJsonSchema": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]},
}
ASK: Any = {"role": "user", "parts": [{"text": "Run echo"}]}
BOOT = {"x-goog-api-key": "gk-1"}


def _post(url: str, action: str, body: dict[str, Any], *, version: str = "v1beta", **params: str) -> httpx.Response:
    return httpx.post(f"{url}/{version}/models/{ENDPOINT}:{action}", json=body, params=params, timeout=30)


def _events(answer: httpx.Response) -> list[dict[str, Any]]:
    return [orjson.loads(line[6:]) for line in answer.text.splitlines() if line.startswith("data: ")]


def test_a_function_is_called_and_its_response_answered(coding: tuple[str, CodingModel]) -> None:
    url, model = coding
    model.requests.clear()
    tools = [{"functionDeclarations": [SHELL]}]
    first = _post(url, "generateContent", {"contents": [ASK], "tools": tools,
                                          "systemInstruction": {"parts": [{"text": "You code."}]}})  # fmt: skip
    assert first.status_code == 200, first.text
    (candidate,) = first.json()["candidates"]
    (part,) = candidate["content"]["parts"]
    assert candidate["finishReason"] == "STOP"
    assert part["functionCall"]["name"] == "run_shell_command"
    assert part["functionCall"]["args"] == {"command": COMMAND}
    assert first.json()["usageMetadata"]["totalTokenCount"] > 0
    sent = model.requests[-1]
    assert sent["messages"][0] == {"role": "system", "content": "You code."}
    assert sent["tools"][0]["function"]["parameters"] == SHELL["parametersJsonSchema"]
    result = {"functionResponse": {"id": part["functionCall"]["id"], "name": "run_shell_command",
                                   "response": {"output": OUTPUT}}}  # fmt: skip
    contents = [ASK, candidate["content"], {"role": "user", "parts": [result]}]
    second = _post(url, "generateContent", {"contents": contents, "tools": tools})
    assert second.status_code == 200, second.text
    assert second.json()["candidates"][0]["content"]["parts"] == [{"text": ANSWER + '{"output":"' + OUTPUT + '"}'}]
    messages = model.requests[-1]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool"]
    assert messages[2]["tool_call_id"] == messages[1]["tool_calls"][0]["id"] == part["functionCall"]["id"]


def test_a_streamed_answer_holds_the_call_whole_in_its_last_event(coding: tuple[str, CodingModel]) -> None:
    body = {"contents": [ASK], "tools": [{"functionDeclarations": [SHELL]}]}
    answer = _post(coding[0], "streamGenerateContent", body, alt="sse")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/event-stream")
    last = _events(answer)[-1]
    (candidate,) = last["candidates"]
    assert candidate["finishReason"] == "STOP"
    assert [p["functionCall"]["name"] for p in candidate["content"]["parts"]] == ["run_shell_command"]
    assert last["usageMetadata"]["candidatesTokenCount"] == 12


def test_a_streamed_text_answer_comes_in_pieces_that_join_to_the_whole_one(coding: tuple[str, CodingModel]) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}
    whole = _post(coding[0], "generateContent", body).json()["candidates"][0]["content"]["parts"][0]["text"]
    events = _events(_post(coding[0], "streamGenerateContent", body, alt="sse"))
    texts = [p.get("text", "") for e in events for p in e["candidates"][0]["content"]["parts"]]
    assert len(events) > 2
    assert "".join(texts) == whole
    assert events[-1]["candidates"][0]["finishReason"] == "STOP"


def test_generation_config_and_tool_config_reach_the_upstream(coding: tuple[str, CodingModel]) -> None:
    url, model = coding
    schema = {"type": "OBJECT", "properties": {"n": {"type": "INTEGER", "nullable": True}}, "propertyOrdering": ["n"]}
    config = {"temperature": 0, "topP": 0.5, "maxOutputTokens": 40, "stopSequences": ["END"], "seed": 7,
              "presencePenalty": 0.5, "responseMimeType": "application/json", "responseSchema": schema,
              "thinkingConfig": {"thinkingBudget": 2048}}  # fmt: skip
    tool_config = {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["run_shell_command"]}}
    second = {"name": "other", "parameters": {"type": "OBJECT", "properties": {}}}
    body = {"contents": [ASK], "generationConfig": config, "toolConfig": tool_config,
            "tools": [{"functionDeclarations": [SHELL, second]}],
            "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]}  # fmt: skip
    assert _post(url, "generateContent", body).status_code == 200
    sent = model.requests[-1]
    assert (sent["temperature"], sent["top_p"], sent["max_tokens"], sent["stop"], sent["seed"]) == (
        0,
        0.5,
        40,
        ["END"],
        7,
    )
    assert sent["presence_penalty"] == 0.5
    assert sent["reasoning_effort"] == "low"
    assert sent["response_format"]["json_schema"]["schema"] == {
        "type": "object", "properties": {"n": {"type": ["integer", "null"]}}
    }  # fmt: skip
    assert [t["function"]["name"] for t in sent["tools"]] == ["run_shell_command"]
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "run_shell_command"}}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "contents"),
        ({"contents": []}, "contents"),
        ({"contents": [{"role": "robot", "parts": [{"text": "x"}]}]}, "contents[0].role"),
        ({"contents": [{"role": "user", "parts": [{}]}]}, "contents[0].parts[0]"),
        ({"contents": [{"parts": [{"functionCall": {"args": {}}}]}]}, "contents[0].parts[0].functionCall.name"),
        ({"contents": [ASK], "tools": [{"googleSearch": {}}]}, "tools[0].googleSearch"),
        ({"contents": [ASK], "cachedContent": "cachedContents/abc"}, "cachedContent"),
        ({"contents": [ASK], "generationConfig": {"candidateCount": 2}}, "generationConfig.candidateCount"),
        ({"contents": [ASK], "generationConfig": {"temperature": "hot"}}, "generationConfig.temperature"),
        ({"contents": [ASK], "generationConfig": {"responseMimeType": "text/csv"}},
         "generationConfig.responseMimeType"),
        ({"contents": [{"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]}]},
         "contents[0].parts[0].functionResponse"),
        ({"contents": [{"role": "user", "parts": [{"inlineData": {"mimeType": "audio/wav", "data": "AAAA"}}]}]},
         "contents[0].parts[0].inlineData.mimeType"),
        ({"contents": [ASK], "toolConfig": {"functionCallingConfig": {"mode": "ANY"}}},
         "toolConfig.functionCallingConfig.mode"),
    ],
)  # fmt: skip
def test_a_request_hfgate_cannot_honour_is_a_400_in_gemini_s_shape_naming_the_field(
    coding: tuple[str, CodingModel], body: dict[str, Any], field: str
) -> None:
    answer = _post(coding[0], "generateContent", body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert f"[{field}]" in error["message"], error["message"]


@pytest.mark.parametrize("version", ["v1beta", "v1"])
@pytest.mark.parametrize("action", ["generateContent", "streamGenerateContent", "countTokens"])
def test_contents_that_fold_to_no_message_are_a_400_naming_contents(
    coding: tuple[str, CodingModel], version: str, action: str
) -> None:
    only_signature = {"contents": [{"role": "user", "parts": [{"thoughtSignature": ""}]}]}
    answer = _post(coding[0], action, only_signature, version=version)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["message"].startswith("Field [contents] leaves no message once read"), error["message"]


def test_an_unknown_model_is_gemini_s_404(coding: tuple[str, CodingModel]) -> None:
    answer = httpx.post(f"{coding[0]}/v1beta/models/nope:generateContent", json={"contents": [ASK]})
    assert answer.status_code == 404
    assert answer.json()["error"]["status"] == "NOT_FOUND"


def test_tokens_are_counted_for_the_contents_or_the_whole_request(coding: tuple[str, CodingModel]) -> None:
    plain = _post(coding[0], "countTokens", {"contents": [ASK]})
    system = {"parts": [{"text": "You are a careful coding assistant."}]}
    whole = _post(
        coding[0], "countTokens", {"generateContentRequest": {"contents": [ASK], "systemInstruction": system}}
    )
    assert plain.status_code == whole.status_code == 200, plain.text
    assert 0 < plain.json()["totalTokens"] < whole.json()["totalTokens"]


def test_the_model_list_names_each_endpoint_with_what_it_can_do(coding: tuple[str, CodingModel]) -> None:
    listed = httpx.get(f"{coding[0]}/v1beta/models").json()["models"]
    coder = next(m for m in listed if m["name"] == f"models/{ENDPOINT}")
    assert coder["supportedGenerationMethods"] == ["generateContent", "streamGenerateContent", "countTokens"]
    assert httpx.get(f"{coding[0]}/v1beta/models/{ENDPOINT}").json() == coder


def test_v1_paths_are_the_same_face(coding: tuple[str, CodingModel]) -> None:
    """``google-genai`` calls ``/v1`` by default; there too errors are Gemini's, not OpenAI's."""
    assert _post(coding[0], "generateContent", {"contents": [ASK]}, version="v1").status_code == 200
    refused = _post(coding[0], "generateContent", {"contents": []}, version="v1")
    assert refused.json()["error"]["status"] == "INVALID_ARGUMENT"
    metrics = httpx.get(f"{coding[0]}/metrics").text
    assert 'face="gemini"' in metrics


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory, coding: tuple[str, CodingModel]) -> Iterator[str]:
    """A gateway with keys, its ``coder`` endpoint on the same stand-in model."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("keyed"), provision_defaults=False, api_keys=["gk-1"],
                        log_format="text", log_level="warning")  # fmt: skip
    with live_server(settings) as url:
        body = {"service": "hugging_face", "service_settings": {"url": coding[1].base, "api_key": "unused"}}
        created = httpx.put(f"{url}/_inference/chat_completion/{ENDPOINT}", json=body, headers=BOOT, timeout=30)
        assert created.status_code == 200, created.text
        yield url


@pytest.mark.parametrize(
    ("headers", "params", "status"),
    [({"x-goog-api-key": "gk-1"}, {}, 200), ({}, {"key": "gk-1"}, 200), ({"x-goog-api-key": "wrong"}, {}, 401),
     ({}, {}, 401)],
)  # fmt: skip
def test_the_gateway_key_comes_as_google_s_clients_send_it(
    keyed: str, headers: dict[str, str], params: dict[str, str], status: int
) -> None:
    answer = httpx.get(f"{keyed}/v1beta/models", headers=headers, params=params)
    assert answer.status_code == status, answer.text
    if status == 401:
        assert answer.json()["error"]["status"] == "UNAUTHENTICATED"


def test_key_in_the_query_is_read_on_gemini_s_paths_only(keyed: str, tmp_path: Path) -> None:
    assert httpx.get(f"{keyed}/v1/models", params={"key": "gk-1"}).status_code == 401


def test_usage_and_a_key_s_limit_apply_as_on_every_face(keyed: str) -> None:
    made = httpx.post(f"{keyed}/_security/api_key", headers=BOOT,
                      json={"name": "gem", "roles": ["infer"], "limits": {"requests_per_minute": 1}})  # fmt: skip
    assert made.status_code == 200, made.text
    key = {"x-goog-api-key": made.json()["encoded"]}
    url = f"{keyed}/v1beta/models/{ENDPOINT}:generateContent"
    assert httpx.post(url, json={"contents": [ASK]}, headers=key, timeout=30).status_code == 200
    refused = httpx.post(url, json={"contents": [ASK]}, headers=key, timeout=30)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert int(refused.headers["retry-after"]) >= 1
    usage = httpx.get(f"{keyed}/_usage", headers=BOOT, params={"endpoint": ENDPOINT}).json()["usage"]
    (line,) = [u for u in usage if u["key_name"] == "gem"]
    assert (line["requests"], line["statuses"]) == (1, {"200": 1})  # refused before its endpoint was read
    assert line["input_tokens"] > 0
    assert line["output_tokens"] == 12  # the stand-in's usage, as the upstream reported it
