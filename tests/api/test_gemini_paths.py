"""Which of ``/v1/models/…`` is the Gemini face's: its model actions, whatever the model's name holds, and
nothing of the OpenAI face's model routes (found by bench/fuzz.py: a model name holding ``?`` took a Gemini
action's errors to OpenAI's shape)."""

from __future__ import annotations

import httpx
import pytest

from hfgate.api.declared import declared
from hfgate.api.faces import face_of
from hfgate.api.gemini.errors import MODEL_ACTIONS


@pytest.mark.parametrize(
    "path",
    ["/v1/models/e5:embedContent", "/v1/models/a?b:countTokens", "/v1/models/org/name:generateContent",
     "/v1/models/x\n:streamGenerateContent", "/v1/models/qwen2.5:7b:batchEmbedContents"],
)  # fmt: skip
def test_a_model_action_under_v1_is_gemini_s_whatever_the_model_is_called(path: str) -> None:
    assert face_of(path).name == "gemini"


@pytest.mark.parametrize("path", ["/v1/models", "/v1/models/qwen2.5:7b", "/v1/models/a:b", "/v1/models/x:embed"])
def test_the_openai_model_routes_stay_openai_s_with_a_colon_in_the_id(path: str) -> None:
    assert face_of(path).name == "openai"


def test_the_actions_are_the_ones_the_gemini_face_declares_under_v1() -> None:
    posts = {route.path for route in declared() if route.face.name == "gemini" and route.method == "post"
             and route.path.startswith("/v1/")}  # fmt: skip
    assert {path.rsplit(":", 1)[1] for path in posts} == set(MODEL_ACTIONS)


async def test_a_refusal_on_a_model_whose_name_holds_a_question_mark_is_in_gemini_s_shape(
    fake_api: httpx.AsyncClient,
) -> None:
    body = {"requests": [{"model": "models/other", "content": {"parts": [{"text": "hi"}]}}]}
    refused = await fake_api.post("/v1/models/a%3Fb:batchEmbedContents", json=body)
    assert refused.status_code in (400, 404), refused.text
    error = refused.json()["error"]
    assert error["code"] == refused.status_code
    assert error["status"] in ("INVALID_ARGUMENT", "NOT_FOUND")
