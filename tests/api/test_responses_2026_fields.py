"""The Responses API's fields of 2026, through a ``hugging_face`` endpoint by url on the stand-in coding
model: ``context_management`` (server-side compaction, served by the compact route's code) and an
assistant message's ``phase``."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from hfgate.api.openai.responses_compact import SUMMARY_PROMPT
from tests.fakes.coding_model import CodingModel
from tests.support.agent_requests import ENDPOINT

LONG = [{"role": "user", "content": "Here is a long file: " + "lorem ipsum dolor sit amet " * 400},
        {"role": "assistant", "content": "Read it.", "phase": "commentary"},
        {"role": "user", "content": "Now summarise it."}]  # fmt: skip
COMPACT: Any = [{"type": "compaction", "compact_threshold": 1000}]


def _respond(url: str, **body: Any) -> httpx.Response:
    return httpx.post(f"{url}/v1/responses", json={"model": ENDPOINT, **body}, timeout=60)


def test_a_conversation_over_the_threshold_is_compacted_before_the_answer(coding: tuple[str, CodingModel]) -> None:
    url, model = coding
    model.requests.clear()
    answer = _respond(url, input=LONG, context_management=COMPACT)
    assert answer.status_code == 200, answer.text
    output = answer.json()["output"]
    assert [item["type"] for item in output] == ["compaction", "message"]
    summary, main = model.requests
    assert summary["messages"][-1]["content"] == SUMMARY_PROMPT
    assert [m["role"] for m in main["messages"]] == ["user", "user", "assistant"]  # the users' turns, the summary
    model.requests.clear()
    later = _respond(url, input="And then?", previous_response_id=answer.json()["id"])
    assert later.status_code == 200, later.text
    (sent,) = model.requests  # the stored conversation is the compacted one
    assert [m["role"] for m in sent["messages"]] == ["user", "user", "assistant", "assistant", "user"]


def test_a_streamed_compaction_leads_the_output(coding: tuple[str, CodingModel]) -> None:
    url, _ = coding
    body = {"model": ENDPOINT, "input": LONG, "context_management": COMPACT, "stream": True}
    with httpx.stream("POST", f"{url}/v1/responses", json=body, timeout=60) as answer:
        events = [orjson.loads(line[6:]) for line in answer.iter_lines() if line.startswith("data: ")]
    added = [e["item"]["type"] for e in events if e["type"] == "response.output_item.added"]
    assert added == ["compaction", "message"]
    assert events[-1]["type"] == "response.completed"
    assert [item["type"] for item in events[-1]["response"]["output"]] == ["compaction", "message"]


def test_a_conversation_under_the_threshold_is_answered_as_it_is(coding: tuple[str, CodingModel]) -> None:
    url, model = coding
    model.requests.clear()
    answer = _respond(url, input="Hi", context_management=[{"type": "compaction", "compact_threshold": 5000}])
    assert answer.status_code == 200, answer.text
    assert [item["type"] for item in answer.json()["output"]] == ["message"]
    assert len(model.requests) == 1


@pytest.mark.parametrize(
    ("value", "field"),
    [({"type": "compaction"}, "context_management"), ([{"type": "truncate"}], "context_management[0].type"),
     ([{"type": "compaction", "compact_threshold": 10}], "context_management[0].compact_threshold")],
)  # fmt: skip
def test_a_malformed_context_management_is_a_400_naming_it(
    coding: tuple[str, CodingModel], value: Any, field: str
) -> None:
    answer = _respond(coding[0], input="Hi", context_management=value)
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == field


def test_a_phase_is_kept_with_its_item_and_a_wrong_one_refused(coding: tuple[str, CodingModel]) -> None:
    url, _ = coding
    answer = _respond(url, input=LONG[1:])
    assert answer.status_code == 200, answer.text
    stored = httpx.get(f"{url}/v1/responses/{answer.json()['id']}/input_items", timeout=30).json()["data"]
    assert stored[0]["phase"] == "commentary"
    wrong = _respond(url, input=[{"role": "assistant", "content": "x", "phase": "thinking"}, LONG[2]])
    assert wrong.status_code == 400
    assert wrong.json()["error"]["param"] == "input[0].phase"
