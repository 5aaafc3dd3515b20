"""An empty prompt is refused at once with a 400 naming the field, on every face (issue #43).

Before, an empty prompt reached the local model, whose prefill failed (``total_sequence_length must be
positive``); the scheduler lost the request and it hung until the client gave up. vLLM refuses a prompt
with no tokens (``The decoder prompt cannot be empty``) and TGI an empty ``inputs``; hfgate refuses the
empty string at the face and, under it, a prompt of no tokens in the engine. A whitespace prompt, or one
of special tokens only, has tokens: it is generated from, as vLLM and TGI do.

A conversation that folds to no message (issue 84: an Anthropic ``system`` message of no blocks, a Gemini
part of only a ``thoughtSignature``) reached the chat template, whose "Cannot apply chat template to an
empty conversation" was a 500; it is a 400 in the face's shape naming ``messages`` or ``contents``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

GENERATOR = ".smollm2-135m-instruct"
AT_ONCE = 20.0  # seconds: the model is loaded first (``warm``); a refusal computes nothing


@pytest.fixture(scope="module", autouse=True)
def warm(live_url: str) -> None:
    """Load the model before the tests time anything: a first load exports it (minutes on a small CPU)."""
    body = {"model": GENERATOR, "prompt": "hi", "max_tokens": 1}
    assert httpx.post(f"{live_url}/v1/completions", json=body, timeout=900).status_code == 200


@pytest.fixture
async def http(live_url: str) -> Any:
    async with httpx.AsyncClient(base_url=live_url, timeout=AT_ONCE) as client:
        yield client


async def _refused(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await asyncio.wait_for(http.post(path, json=body), AT_ONCE)
    assert response.status_code == 400, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.parametrize("prompt", ["", [""], ["hi", ""]])
async def test_openai_completions_refuse_an_empty_prompt_naming_it(http: httpx.AsyncClient, prompt: Any) -> None:
    body = {"model": GENERATOR, "prompt": prompt, "max_tokens": 2}
    answer = await _refused(http, "/v1/completions", body)
    assert answer["error"]["param"] == "prompt"
    assert "prompt" in answer["error"]["message"]


async def test_openai_completions_stream_refuses_an_empty_prompt_before_streaming(http: httpx.AsyncClient) -> None:
    body = {"model": GENERATOR, "prompt": "", "max_tokens": 2, "stream": True}
    answer = await _refused(http, "/v1/completions", body)
    assert answer["error"]["param"] == "prompt"


async def test_es_completion_refuses_an_empty_input_naming_it(http: httpx.AsyncClient) -> None:
    answer = await _refused(http, f"/_inference/completion/{GENERATOR}", {"input": [""]})
    assert "[input]" in answer["error"]["reason"]


async def test_hf_face_refuses_empty_inputs_naming_them(http: httpx.AsyncClient) -> None:
    answer = await _refused(http, f"/hf/{GENERATOR}/generate", {"inputs": "", "parameters": {"max_new_tokens": 2}})
    assert "inputs" in answer["error"]


async def test_responses_api_refuses_an_empty_input_naming_it(http: httpx.AsyncClient) -> None:
    answer = await _refused(http, "/v1/responses", {"model": GENERATOR, "input": "", "max_output_tokens": 2})
    assert answer["error"]["param"] == "input"


async def test_responses_api_refuses_an_input_of_reasoning_alone_naming_it(http: httpx.AsyncClient) -> None:
    body = {"model": GENERATOR, "input": [{"type": "reasoning", "summary": []}], "max_output_tokens": 2}
    answer = await _refused(http, "/v1/responses", body)
    assert answer["error"]["param"] == "input"


async def test_chat_with_an_empty_message_is_answered_the_template_gives_it_tokens(http: httpx.AsyncClient) -> None:
    body = {"model": GENERATOR, "messages": [{"role": "user", "content": ""}], "max_tokens": 2}
    response = await asyncio.wait_for(http.post("/v1/chat/completions", json=body), AT_ONCE)
    assert response.status_code == 200, response.text


EMPTY_SYSTEM: Any = [{"role": "system", "content": []}]
SIGNATURE_ONLY: Any = {"contents": [{"role": "user", "parts": [{"thoughtSignature": ""}]}]}


@pytest.mark.parametrize(
    ("path", "body"),
    [("/v1/messages", {"model": GENERATOR, "max_tokens": 2, "messages": EMPTY_SYSTEM}),
     ("/v1/messages", {"model": GENERATOR, "max_tokens": 2, "messages": [{"role": "user", "content": []}]}),
     ("/v1/messages", {"model": GENERATOR, "max_tokens": 2, "stream": True, "messages": EMPTY_SYSTEM}),
     ("/v1/messages/count_tokens", {"model": GENERATOR, "messages": EMPTY_SYSTEM})],
)  # fmt: skip
async def test_a_messages_conversation_folding_to_nothing_is_anthropic_s_400_naming_messages(
    http: httpx.AsyncClient, path: str, body: dict[str, Any]
) -> None:
    error = (await _refused(http, path, body))["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("Field [messages] leaves no message"), error["message"]
    assert "send at least one user message" in error["message"]


@pytest.mark.parametrize("version", ["v1beta", "v1"])
@pytest.mark.parametrize("action", ["generateContent", "streamGenerateContent", "countTokens"])
async def test_gemini_contents_of_a_lone_thought_signature_are_a_400_naming_contents(
    http: httpx.AsyncClient, version: str, action: str
) -> None:
    error = (await _refused(http, f"/{version}/models/{GENERATOR}:{action}", SIGNATURE_ONLY))["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["message"].startswith("Field [contents] leaves no message"), error["message"]
    assert "send at least one user turn with a text part" in error["message"]


async def test_chat_with_no_messages_is_refused_naming_them(http: httpx.AsyncClient) -> None:
    answer = await _refused(http, "/v1/chat/completions", {"model": GENERATOR, "messages": [], "max_tokens": 2})
    assert answer["error"]["param"] == "messages"


@pytest.mark.parametrize("prompt", [" ", "\n\t", "<|im_start|>", "<|endoftext|><|endoftext|>"])
async def test_whitespace_and_special_token_prompts_have_tokens_and_are_generated_from(
    http: httpx.AsyncClient, prompt: str
) -> None:
    body = {"model": GENERATOR, "prompt": prompt, "max_tokens": 2}
    response = await asyncio.wait_for(http.post("/v1/completions", json=body), AT_ONCE)
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["finish_reason"] in ("length", "stop")
