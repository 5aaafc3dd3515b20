"""Claude Code, Codex and Gemini CLI as their users run them, tools on, complete a shell-tool turn through
hfgate.

Each agent keeps its own system prompt and its default tools; it is pointed at hfgate as
docs/claude-code.md, docs/codex.md and docs/gemini-cli.md say, and its model is the ``coder`` endpoint:
a ``hugging_face`` endpoint by url on the stand-in coding model (``tests/fakes/coding_model.py``), which
calls the shell tool once and then answers with what the tool printed. The agent must accept the
streamed call, run the command, send its result back and print the answer.

A recording proxy between the agent and hfgate keeps the agent's first request; with
``HFGATE_RECORD_AGENTS=1`` it is written to ``tests/clients/agent_requests/`` (replayed in ``make check``
by ``tests/api/test_agent_first_requests.py``), and ``make agents-latest`` reports how the newest
releases' first requests differ from the recorded ones.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.coding_model import ANSWER, COMMAND, OUTPUT, WINDOW, CodingModel
from tests.support import agent_requests
from tests.support.npm_clients import clean_env, cli, run_cli, version_of
from tests.support.recording_proxy import RecordingProxy
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow  # an agent CLI's run: 10-60 s each on 2 cores

PROMPT = f"Run this shell command and tell me what it printed: {COMMAND}"


@pytest.fixture
def proxy(coding: tuple[str, CodingModel]) -> Iterator[RecordingProxy]:
    coding[1].requests.clear()
    recorder = RecordingProxy(coding[0])
    recorder.start()
    try:
        yield recorder
    finally:
        recorder.stop()


def _tool_results(model: CodingModel) -> list[str]:
    return [m.get("content") or "" for body in model.requests for m in body["messages"] if m.get("role") == "tool"]


def _keep(agent: str, proxy: RecordingProxy, path: str) -> None:
    """Record the agent's first request when asked; report how it differs from the recorded one."""
    seen = proxy.first("POST", path)
    version = version_of(agent)
    if os.environ.get("HFGATE_RECORD_AGENTS") == "1":
        agent_requests.save(agent, version, seen)
    elif os.environ.get("HFGATE_AGENTS_LATEST") == "1" and agent in agent_requests.recorded():
        before = agent_requests.load(agent)
        was = agent_requests.shape(before["body"], before["headers"])
        now = agent_requests.shape(seen.body, seen.headers)
        changed = {k: {"was": was[k], "now": now[k]} for k in now if was.get(k) != now[k]}
        print(
            f"\n{agent} {before['version']} -> {version}: "
            + (json.dumps(changed, indent=1) if changed else "same shape")
        )


def test_claude_code_runs_its_shell_tool_and_answers_with_the_output(
    coding: tuple[str, CodingModel], proxy: RecordingProxy, tmp_path: Path
) -> None:
    claude = cli("claude")
    env = clean_env(
        tmp_path / "home",
        ANTHROPIC_BASE_URL=proxy.base,
        ANTHROPIC_AUTH_TOKEN="unused-without-keys",
        ANTHROPIC_MODEL=agent_requests.ENDPOINT,
        ANTHROPIC_SMALL_FAST_MODEL=agent_requests.ENDPOINT,
        CLAUDE_CODE_MAX_CONTEXT_TOKENS=str(WINDOW),  # the endpoint's window (docs/claude-code.md)
    )
    command = [str(claude), "-p", PROMPT, "--allowedTools", "Bash(echo:*)", "--output-format", "json"]
    done = run_cli(command, env=env, cwd=tmp_path)
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["is_error"] is False, result
    assert any(OUTPUT in r and "echo" not in r for r in _tool_results(coding[1])), coding[1].requests[-1:]
    assert ANSWER + OUTPUT in result["result"], result
    assert "doesn't recognize the model" not in done.stderr  # the window given above was taken
    first = proxy.first("POST", "/v1/messages")
    assert first.headers.get("x-claude-code-session-id"), "Claude Code names its session"
    _keep("claude-code", proxy, "/v1/messages")


def _codex(codex: Path, base: str, tmp_path: Path, *more: str) -> str:
    """``codex exec`` on :data:`PROMPT` with hfgate at ``base`` as its provider; its last message."""
    config = [
        "model_provider=hfgate",
        "model_providers.hfgate.name=hfgate",
        f"model_providers.hfgate.base_url={base}/v1",
        "model_providers.hfgate.wire_api=responses",
        "model_providers.hfgate.env_key=HFGATE_KEY",
        'approval_policy="never"',
        f"model_context_window={WINDOW}",
        *more,
    ]
    options = [part for each in config for part in ("-c", each)]
    out = tmp_path / "last.txt"
    command = [str(codex), "exec", "--skip-git-repo-check", "--ephemeral", *options, "-m", agent_requests.ENDPOINT,
               "--output-last-message", str(out), PROMPT]  # fmt: skip
    run_cli(command, env=clean_env(tmp_path / "home", HFGATE_KEY="unused-without-keys"), cwd=tmp_path)
    return out.read_text()


def test_codex_exec_runs_its_shell_tool_and_answers_with_the_output(
    coding: tuple[str, CodingModel], proxy: RecordingProxy, tmp_path: Path
) -> None:
    answer = _codex(cli("codex"), proxy.base, tmp_path)
    assert any(OUTPUT in r for r in _tool_results(coding[1])), coding[1].requests[-1:]
    assert OUTPUT in answer
    _keep("codex", proxy, "/v1/responses")


def test_codex_over_the_responses_websocket_runs_its_shell_tool(
    coding: tuple[str, CodingModel], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With ``supports_websockets`` on its provider, Codex opens a socket on ``/v1/responses`` and sends its
    turns there (no proxy between: the recording proxy speaks HTTP only)."""
    coding[1].requests.clear()
    with caplog.at_level(logging.INFO, logger="hfgate.access"):
        answer = _codex(cli("codex"), coding[0], tmp_path, "model_providers.hfgate.supports_websockets=true")
        wait_until(lambda: any(getattr(r, "event", "") == "responses.socket" for r in caplog.records))
    assert OUTPUT in answer
    (socket,) = [r for r in caplog.records if getattr(r, "event", "") == "responses.socket"]
    assert getattr(socket, "turns", 0) >= 2  # the call, then the answer to its output


def test_gemini_cli_runs_its_shell_tool_and_answers_with_the_output(
    coding: tuple[str, CodingModel], proxy: RecordingProxy, tmp_path: Path
) -> None:
    """``gemini -p`` with its API-key auth (chosen in its settings, as its docs say for headless use), the
    workspace trusted and ``--yolo`` (every tool call approved: no one is there to approve it)."""
    gemini = cli("gemini")
    home = tmp_path / "home"
    settings = {"security": {"auth": {"selectedType": "gemini-api-key"}}, "privacy": {"usageStatisticsEnabled": False}}
    (home / ".gemini").mkdir(parents=True)
    (home / ".gemini" / "settings.json").write_text(json.dumps(settings))
    env = clean_env(
        home,
        GEMINI_API_KEY="unused-without-keys",
        GOOGLE_GEMINI_BASE_URL=proxy.base,
        GEMINI_CLI_TRUST_WORKSPACE="true",
    )
    command = [str(gemini), "-m", agent_requests.ENDPOINT, "-p", PROMPT, "--yolo", "--output-format", "json"]
    done = run_cli(command, env=env, cwd=tmp_path)
    result: dict[str, Any] = json.loads(done.stdout)
    assert any(OUTPUT in r for r in _tool_results(coding[1])), coding[1].requests[-1:]
    assert ANSWER in result["response"], result
    assert OUTPUT in result["response"], result
    assert result["stats"]["tools"]["byName"]["run_shell_command"]["success"] == 1
    _keep("gemini-cli", proxy, f"/v1beta/models/{agent_requests.ENDPOINT}:streamGenerateContent")
