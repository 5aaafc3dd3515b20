"""Claude Code and Codex, installed from npm (``make clients``), each complete a one-turn prompt against
the local SmolLM2 through a live hfgate: Claude Code on ``/v1/messages``, Codex on ``/v1/responses``.

Both are driven as the docs tell a user to point them at hfgate (docs/api/anthropic.md, docs/codex.md):
Claude Code with ``ANTHROPIC_BASE_URL`` and ``ANTHROPIC_AUTH_TOKEN``; Codex with a ``model_providers`` entry
whose ``wire_api`` is ``responses``. SmolLM2 holds 8,192 tokens, so each is asked for its small prompt: Claude
Code's ``--bare --tools "" --system-prompt``; Codex's own instructions file and its optional tools off
(its default request is ~10,000 tokens of instructions and tool schemas).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.npm_clients import clean_env, cli, run_cli

MODEL = ".smollm2-135m-instruct"


def test_claude_code_answers_a_prompt(gate: str, tmp_path: Path) -> None:
    claude = cli("claude")
    env = clean_env(
        tmp_path / "home",
        ANTHROPIC_BASE_URL=gate,
        ANTHROPIC_AUTH_TOKEN="unused-without-keys",
        CLAUDE_CODE_MAX_CONTEXT_TOKENS="8192",  # SmolLM2's window: Claude Code assumes one for unknown ids
        CLAUDE_CODE_MAX_OUTPUT_TOKENS="256",  # its max_tokens, within that window
    )
    done = run_cli(
        [
            str(claude),
            "-p",
            "--bare",
            "--tools",
            "",
            "--output-format",
            "json",
            "--model",
            MODEL,
            "--system-prompt",
            "You are terse.",
            "Say hello in one short sentence.",
        ],
        env=env,
        cwd=tmp_path,
    )
    result = json.loads(done.stdout)
    assert result["is_error"] is False, result
    assert result["result"].strip(), result
    assert "context window" not in done.stderr  # the window given above was taken


def test_codex_exec_answers_a_prompt(gate: str, tmp_path: Path) -> None:
    codex = cli("codex")
    instructions = tmp_path / "instructions.md"
    instructions.write_text("You are terse. Answer in one short sentence; do not call tools.\n")
    config = [
        "model_provider=hfgate",
        "model_providers.hfgate.name=hfgate",
        f"model_providers.hfgate.base_url={gate}/v1",
        "model_providers.hfgate.wire_api=responses",
        "model_providers.hfgate.env_key=HFGATE_KEY",
        f"model_instructions_file={instructions}",
        "web_search=disabled",
        "features.multi_agent=false",
        "features.goals=false",
        "model_context_window=8192",
    ]
    options = [part for each in config for part in ("-c", each)]
    out = tmp_path / "last.txt"
    run_cli(
        [
            str(codex),
            "exec",
            "--skip-git-repo-check",
            "--ephemeral",
            *options,
            "-m",
            MODEL,
            "--output-last-message",
            str(out),
            "Say hello in one short sentence.",
        ],
        env=clean_env(tmp_path / "home", HFGATE_KEY="unused-without-keys"),
        cwd=tmp_path,
    )
    assert out.read_text().strip()
