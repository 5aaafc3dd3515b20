"""Google's ``google-genai`` SDK (pinned in tests/support/apart.py) against a live hfgate: generate,
stream, count and embed on the embedded SmolLM2 and MiniLM (the vectors equal to the OpenAI face's), the
model list, a 404 as the SDK's ``ClientError``, a function call round trip through the stand-in
coding model, and ``client.batches`` (create, get, list, cancel, delete, create_embeddings; a batch of a file
uploaded with ``client.files.upload``, its responses read with ``client.files.download``)."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pytest

from tests.fakes.coding_model import ANSWER, CodingModel
from tests.support.agent_requests import ENDPOINT
from tests.support.apart import run_client

CHAT = ".smollm2-135m-instruct"
EMBEDDER = ".all-minilm-l6-v2"


@pytest.fixture(scope="module")
def calls(live_url: str, coding: tuple[str, CodingModel]) -> dict[str, Any]:
    result: dict[str, Any] = run_client("genai", "genai_calls.py", live_url, CHAT, EMBEDDER, coding[0], ENDPOINT)
    return result


def test_generate_and_stream_answer_the_same_text_with_usage(calls: dict[str, Any]) -> None:
    assert calls["generate"]["text"]
    assert "".join(calls["stream"]["texts"]) == calls["generate"]["text"]
    assert calls["generate"]["finish"] in ("FinishReason.STOP", "FinishReason.MAX_TOKENS")
    usage = calls["generate"]["usage"]
    assert usage["prompt_token_count"] > 5
    assert 0 < usage["candidates_token_count"] <= 12
    assert usage["total_token_count"] == usage["prompt_token_count"] + usage["candidates_token_count"]


def test_count_tokens_counts_the_prompt_the_chat_would_take(calls: dict[str, Any]) -> None:
    assert 5 < calls["count"] < calls["generate"]["usage"]["prompt_token_count"] + 20


def test_embeddings_equal_the_openai_face_s(calls: dict[str, Any], live_url: str) -> None:
    same = httpx.post(f"{live_url}/v1/embeddings", json={"model": EMBEDDER, "input": ["a cat", "a dog"]}, timeout=60)
    expected = [d["embedding"] for d in same.json()["data"]]
    assert np.allclose(calls["embed"], expected, atol=1e-6)
    assert len(calls["embed_short"][0]) == 8


def test_the_model_list_and_a_missing_model(calls: dict[str, Any]) -> None:
    assert f"models/{CHAT}" in calls["models"]
    assert f"models/{EMBEDDER}" in calls["models"]
    assert calls["missing"] == {"code": 404, "status": "NOT_FOUND"}


def test_a_function_call_round_trip_in_a_chat_session(calls: dict[str, Any]) -> None:
    turn = calls["tool_turn"]
    assert turn["call"]["name"] == "run_shell_command"
    assert turn["call"]["args"] == {"command": "echo hfgate-tool-turn"}
    assert turn["answer"] == ANSWER + '{"output":"tool-ran"}'


def test_batches_answer_each_request_as_it_is_answered_alone(calls: dict[str, Any], live_url: str) -> None:
    batches = calls["batches"]
    assert batches["made"]["name"].startswith("batches/")
    assert batches["made"]["display_name"] == "colours"
    assert batches["made"]["state"] in ("JobState.JOB_STATE_PENDING", "JobState.JOB_STATE_RUNNING")
    done = batches["done"]
    assert done["state"] == "JobState.JOB_STATE_SUCCEEDED"
    assert done["keys"] == [{"key": "r0"}, {"key": "r1"}]
    assert done["texts"] == done["alone"]
    same = httpx.post(f"{live_url}/v1/embeddings", json={"model": EMBEDDER, "input": ["a cat", "a dog"]}, timeout=60)
    assert np.allclose(batches["embeddings"], [d["embedding"] for d in same.json()["data"]], atol=1e-6)
    assert batches["cancelled"] in ("JobState.JOB_STATE_CANCELLED", "JobState.JOB_STATE_SUCCEEDED")
    assert set(batches["names"]) <= set(batches["listed"])  # a page of one at a time, all of them
    assert batches["deleted"] == {"code": 404, "status": "NOT_FOUND"}
    from_file = batches["file"]
    assert from_file["uploaded"]["name"].startswith("files/")
    assert from_file["uploaded"]["state"] == "FileState.ACTIVE"
    assert from_file["state"] == "JobState.JOB_STATE_SUCCEEDED"
    assert from_file["keys"] == ["f0", "f1"]
    assert from_file["texts"] == done["alone"]
