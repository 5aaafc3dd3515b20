"""Agent CLIs from npm (Claude Code, Codex) for ``tests/clients``: pinned, installed once under
``.venv/npm`` of this checkout (again when the pins change), run as the user runs them.

``python -m tests.support.npm_clients`` (part of ``make clients``) installs them; a test finds a CLI with
:func:`binary` and skips, naming the command, where it is missing (npm could not be reached).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
PINS = ("@anthropic-ai/claude-code@2.1.332", "@openai/codex@0.169.0")
"""The versions the tests drive (docs/testing.md lists them)."""


def prefix() -> Path:
    """Where the packages live: ``.venv/npm`` of this checkout."""
    return _ROOT / ".venv" / "npm"


def installed() -> bool:
    stamp = prefix() / ".pins"
    return stamp.exists() and stamp.read_text() == "\n".join(PINS)


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
    """The installed CLI ``name`` (``claude`` or ``codex``), or ``None``."""
    path = prefix() / "node_modules" / ".bin" / name
    return path if installed() and path.exists() else None


if __name__ == "__main__":  # python -m tests.support.npm_clients
    print(f"{', '.join(PINS)}: {install()}", file=sys.stdout)
