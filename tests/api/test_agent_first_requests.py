"""The agents' first requests, as recorded from the real CLIs (``tests/clients/agent_requests/``), sent to
hfgate as they were: each is answered with a tool call through a ``hugging_face`` endpoint by url (the
stand-in coding model), so a change in hfgate that breaks an agent at its first request fails here,
without npm. Then the Messages fields Claude Code sends, one at a time."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import orjson
import pytest

from tests.fakes.coding_model import CodingModel
from tests.support import agent_requests
from tests.support.waiting import wait_until

ROUTES = {
    "/v1/messages": ("tool_use", "message_stop"),
    "/v1/responses": ("function_call", "response.completed"),
    f"/v1beta/models/{agent_requests.ENDPOINT}:streamGenerateContent": ("functionCall", "STOP"),
}


@pytest.mark.parametrize("agent", agent_requests.recorded())
def test_an_agent_s_recorded_first_request_is_answered_with_its_tool_call(
    coding: tuple[str, CodingModel], agent: str
) -> None:
    record = agent_requests.load(agent)
    url, model = coding
    model.requests.clear()
    headers = {k: v for k, v in record["headers"].items() if k not in ("accept-encoding",)}
    answer = httpx.post(url + record["path"], json=agent_requests.retarget(record["body"]), headers=headers, timeout=60)
    assert answer.status_code == 200, f"{agent} {record['version']}: {answer.text[:2000]}"
    for expected in ROUTES[record["path"]]:
        assert expected in answer.text, f"{agent} {record['version']}: no {expected} in {answer.text[:2000]}"
    (sent,) = model.requests
    roles = [m["role"] for m in sent["messages"]]
    assert "system" not in roles[1:], roles  # one system message, first


def _message(url: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    base = {"model": agent_requests.ENDPOINT, "max_tokens": 64}
    return httpx.post(f"{url}/v1/messages", json=base | body, headers=headers, timeout=30)


def test_system_messages_inside_messages_join_the_system_prompt_in_order(coding: tuple[str, CodingModel]) -> None:
    url, model = coding
    model.requests.clear()
    messages = [
        {"role": "user", "content": "Hi"},
        {"role": "system", "content": [{"type": "text", "text": "Env: linux"}, {"type": "text", "text": "cwd: /"}]},
        {"role": "assistant", "content": "Hello"},
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Again"},
    ]
    answer = _message(url, {"system": "You code.", "messages": messages})
    assert answer.status_code == 200, answer.text
    sent = model.requests[-1]["messages"]
    assert sent[0] == {"role": "system", "content": "You code.\n\nEnv: linux\n\ncwd: /\n\nBe brief."}
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]


def test_a_malformed_system_message_is_a_400_naming_it(coding: tuple[str, CodingModel]) -> None:
    answer = _message(coding[0], {"messages": [{"role": "system", "content": 3}, {"role": "user", "content": "Hi"}]})
    assert answer.status_code == 400
    assert "messages[0].content" in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    ("fields", "effort"),
    [
        ({"thinking": {"type": "adaptive"}, "output_config": {"effort": "high"}}, "high"),
        ({"thinking": {"type": "adaptive"}, "output_config": {"effort": "max"}}, "high"),
        ({"output_config": {"effort": "low"}}, "low"),
        ({"thinking": {"type": "enabled", "budget_tokens": 10000}}, "medium"),
        ({"thinking": {"type": "disabled"}, "output_config": {"effort": "high"}}, None),
        ({"thinking": {"type": "adaptive"}}, None),
        ({"thinking": {"type": "a-future-kind"}, "output_config": {"effort": "a-future-level"}}, None),
    ],
)
def test_thinking_and_effort_become_the_upstream_s_reasoning_effort(
    coding: tuple[str, CodingModel], fields: dict[str, Any], effort: str | None
) -> None:
    url, model = coding
    model.requests.clear()
    context = {"context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]}}
    answer = _message(url, {"messages": [{"role": "user", "content": "Hi"}], **fields, **context})
    assert answer.status_code == 200, answer.text
    assert model.requests[-1].get("reasoning_effort") == effort


@pytest.mark.parametrize(
    ("fields", "name"),
    [({"thinking": "on"}, "thinking"), ({"output_config": {"effort": 3}}, "output_config.effort"),
     ({"thinking": {"type": "enabled", "budget_tokens": -1}}, "thinking.budget_tokens")],
)  # fmt: skip
def test_malformed_reasoning_fields_are_a_400_naming_them(
    coding: tuple[str, CodingModel], fields: dict[str, Any], name: str
) -> None:
    answer = _message(coding[0], {"messages": [{"role": "user", "content": "Hi"}], **fields})
    assert answer.status_code == 400
    assert f"[{name}]" in answer.json()["error"]["message"]


def test_the_agent_s_session_is_in_the_access_log(
    coding: tuple[str, CodingModel], caplog: pytest.LogCaptureFixture
) -> None:
    user_id = orjson.dumps({"device_id": "d", "account_uuid": "", "session_id": "body-session"}).decode()
    with caplog.at_level(logging.INFO, logger="hfgate.access"):
        hi = [{"role": "user", "content": "Hi"}]
        assert _message(coding[0], {"messages": hi}, **{"X-Claude-Code-Session-Id": "header-session"}).is_success
        assert _message(coding[0], {"messages": hi, "metadata": {"user_id": user_id}}).is_success
        assert _message(coding[0], {"messages": hi}, **{"session-id": "codex-session"}).is_success

        def sessions() -> list[str | None]:  # a request's line is written once its answer is sent
            return [getattr(r, "session", None) for r in caplog.records if getattr(r, "path", "") == "/v1/messages"]

        wait_until(lambda: len(sessions()) == 3, what="three access log lines")
    assert sessions() == ["header-session", "body-session", "codex-session"]
