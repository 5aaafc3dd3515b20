"""An orchestrator over a real SQLite registry and the real services (models shared per session)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hfgate.config import Settings
from hfgate.orchestrator import Orchestrator
from hfgate.process.runtime import Runtime
from hfgate.services import ServiceContext


@pytest.fixture
async def orch(tmp_path: Path, shared_context: ServiceContext) -> AsyncIterator[Orchestrator]:
    runtime = await Runtime.start(Settings(data_dir=tmp_path, preload_models=False), context=shared_context)
    try:
        yield runtime.orchestrator
    finally:
        await runtime.aclose()
