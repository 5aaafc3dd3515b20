"""Not a benchmark: what the scripts in ``bench/`` share (servers, load drivers, waiting, corpora).

The scripts run as ``python bench/X.py`` from the repository's root, so ``bench/`` is first on
``sys.path`` and this package imports as ``support``; importing it also puts the repository's root on
``sys.path``, for what the tests share with the benchmarks (``tests/support``: corpora, the soak,
the rolling restart, the real engines' servers).

- ``alone``: one server at a time, the others stopped (SIGSTOP);
- ``settled``: wait until a fresh hfgate has chosen its engines;
- ``pinned_endpoint``: a SmolLM2 endpoint on one named engine;
- ``gateway``: ports, process CPU, a bounded aiohttp load, the fast fake TEI server's source;
- ``wrk_load``: driving ``wrk``;
- ``fake_upstream``, ``bare_forwarder``, ``asgi_floor``: the upstream, the reference forwarder and the
  server stack's floor that ``bench/gateway_wrk_bench.py`` runs as processes of their own.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

from tests.support.corpora import corpora_dir  # noqa: E402

__all__ = ["REPOSITORY", "corpora_dir"]
