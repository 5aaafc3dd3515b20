"""Claude Code (npm ``@anthropic-ai/claude-code``) completes a one-turn prompt against hfgate's embedded
SmolLM2 through the Messages API, configured only by the environment variables docs/api/anthropic.md
gives. Skipped, naming the install command, where ``claude`` is not installed (it is not a Python
package: ``npm install -g @anthropic-ai/claude-code``, or ``HFGATE_TEST_CLAUDE`` naming its binary)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

GENERATOR = ".smollm2-135m-instruct"


@pytest.fixture
def claude() -> str:
    """The ``claude`` binary; asked for before the live server, so a skip starts nothing."""
    found = os.environ.get("HFGATE_TEST_CLAUDE") or shutil.which("claude")
    if found is None:
        pytest.skip("Claude Code is not installed: npm install -g @anthropic-ai/claude-code (or HFGATE_TEST_CLAUDE)")
    return found


def test_claude_code_answers_a_one_turn_prompt(claude: str, live_url: str, tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),  # no user settings or login of the machine's own
        "ANTHROPIC_BASE_URL": live_url,
        "ANTHROPIC_AUTH_TOKEN": "unused",
        "CLAUDE_CODE_MAX_CONTEXT_TOKENS": "8192",  # SmolLM2's window; Claude Code assumes one for unknown ids
        "CLAUDE_CODE_MAX_OUTPUT_TOKENS": "256",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
    }
    command = [claude, "-p", "--bare", "--tools", "", "--system-prompt", "Answer in one short sentence.",
               "--model", GENERATOR, "What is the capital of France?"]  # fmt: skip
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert "context window" not in done.stderr  # the window given above was taken
