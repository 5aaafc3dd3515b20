"""Agent CLIs from npm (Claude Code, Codex, Gemini CLI) for ``tests/clients``: pinned, installed once under
``.venv/npm`` of this checkout (again when the pins change), run as the user runs them.

``python -m tests.support.npm_clients`` (part of ``make clients``) installs them; a test finds a CLI with
:func:`binary` and skips, naming the command, where it is missing (npm could not be reached).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
PINNED = ("@anthropic-ai/claude-code@2.1.332", "@openai/codex@0.171.0", "@google/gemini-cli@0.61.0")
"""The versions the tests drive (docs/testing.md lists them)."""
LATEST = os.environ.get("HFGATE_AGENTS_LATEST") == "1"
"""``make agents-latest``: the newest releases instead, in a prefix of their own."""
PINS = tuple(pin.rpartition("@")[0] + "@latest" for pin in PINNED) if LATEST else PINNED


def prefix() -> Path:
    """Where the packages live: ``.venv/npm`` of this checkout (``.venv/npm-latest`` for the newest)."""
    return _ROOT / ".venv" / ("npm-latest" if LATEST else "npm")


def installed() -> bool:
    """The pins are installed (never true for the newest releases: npm is asked again on each run)."""
    stamp = prefix() / ".pins"
    return stamp.exists() and stamp.read_text() == "\n".join(PINS) and not LATEST


def install() -> str:
    """Install the pinned CLIs; what happened, in words (npm missing or unreachable is not an error here:
    the tests that need them skip with the reason)."""
    if installed():
        return f"already installed in {prefix()}"
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed: the Claude Code and Codex tests will skip"
    command = [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(prefix()), *PINS]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        return f"npm install failed ({done.returncode}), the CLI tests will skip:\n{done.stderr[-2000:]}"
    (prefix() / ".pins").write_text("\n".join(PINS))
    return f"installed in {prefix()}"


def binary(name: str) -> Path | None:
    """The installed CLI ``name`` (``claude``, ``codex`` or ``gemini``), or ``None``."""
    path = prefix() / "node_modules" / ".bin" / name
    stamp = prefix() / ".pins"
    return path if path.exists() and stamp.exists() and stamp.read_text() == "\n".join(PINS) else None


def version_of(agent: str) -> str:
    """The installed version of ``claude-code`` or ``codex`` (as its package.json says)."""
    package = {
        "claude-code": "@anthropic-ai/claude-code",
        "codex": "@openai/codex",
        "gemini-cli": "@google/gemini-cli",
    }[agent]
    manifest = prefix() / "node_modules" / package / "package.json"
    version: str = json.loads(manifest.read_text())["version"]
    return version


def cli(name: str) -> Path:
    """The installed CLI ``name``; the test skips, naming the command that installs it, where it is missing."""
    found = binary(name)
    if found is None:
        pytest.skip(f"{name} is not installed ({', '.join(PINS)}): run `make clients` (needs npm's registry)")
    return found


def clean_env(home: Path, **more: str) -> dict[str, str]:
    """A clean home (no user config or login), no telemetry, and ``more``."""
    home.mkdir(parents=True, exist_ok=True)
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "TERM")}
    return {
        **keep,
        "HOME": str(home),
        "DISABLE_TELEMETRY": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        **more,
    }


def run_cli(command: list[str], *, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run an agent CLI to its end (10 minutes at most); it must exit 0."""
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{command[0]} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


if __name__ == "__main__":  # python -m tests.support.npm_clients
    print(f"{', '.join(PINS)}: {install()}", file=sys.stdout)
