"""Where the shared benchmark corpora live, found relative to the repository.

By default ``shared/bench-data`` beside the repository's folder (``../shared/bench-data`` from its
root); set ``HFGATE_BENCH_DATA`` to read them from elsewhere (a git worktree, another machine).
"""

from __future__ import annotations

import os
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def corpora_dir() -> Path:
    """The folder holding ``corpus_short.json`` and ``corpus_long.json``."""
    override = os.environ.get("HFGATE_BENCH_DATA")
    return Path(override) if override else REPOSITORY.parent / "shared" / "bench-data"
