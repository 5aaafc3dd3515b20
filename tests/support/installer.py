"""Installing pinned packages into a venv or a directory with uv (``uv pip install``), as ``make`` does.

uv is in hfgate's venv (``make`` installs it first, at the version in ``requirements/lock.txt``). It
installs the same versions pip would resolve (``--index-strategy unsafe-best-match``: the best match
across PyPI and the machine's ``--find-links``, as pip chooses) and compiles the bytecode as pip does
(``--compile-bytecode``; with ``PYTHONDONTWRITEBYTECODE`` set, nothing else would), several times faster
(docs/testing.md has the figures). The find-links are pip's own (``PIP_FIND_LINKS``, else pip's
configuration): torch's CPU wheel lies there on this project's machines.
"""

from __future__ import annotations

import os
import subprocess
import sys
from functools import cache
from pathlib import Path

from uv import find_uv_bin

# Found once, at import: find_uv_bin reads sysconfig, whose first read is not safe across threads (seen here:
# a None config var when the client sets were installed side by side).
UV = find_uv_bin()


@cache
def _find_links() -> tuple[str, ...]:
    """pip's ``find-links`` (the environment's, else pip's configuration), as uv arguments."""
    given = os.environ.get("PIP_FIND_LINKS")
    if given is None:
        asked = [sys.executable, "-m", "pip", "config", "get", "global.find-links"]
        done = subprocess.run(asked, capture_output=True, text=True, check=False)
        given = done.stdout.strip() if done.returncode == 0 else ""
    return tuple(arg for each in given.split() for arg in ("--find-links", each))


def install(
    *args: str, python: Path | None = None, target: Path | None = None, env: dict[str, str] | None = None
) -> None:
    """``uv pip install args`` into ``python``'s venv, or into directory ``target`` for this Python."""
    where = ["--target", str(target)] if target is not None else []
    command = [
        UV, "pip", "install", "--quiet", "--compile-bytecode", "--index-strategy", "unsafe-best-match",
        "--python", str(python or sys.executable), *_find_links(), *where, *args,
    ]  # fmt: skip
    subprocess.run(command, check=True, env=env)


def uninstall(python: Path, *names: str) -> None:
    """``uv pip uninstall names`` from ``python``'s venv."""
    subprocess.run([UV, "pip", "uninstall", "--quiet", "--python", str(python), *names], check=True)
