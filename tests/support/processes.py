"""Processes the tests start and stop (managed servers run in a process group of their own)."""

from __future__ import annotations

import os


def group_alive(pid: int) -> bool:
    """Whether any process of the group ``pid`` leads is still running."""
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True
