"""The runtime: shared model context, and preloading the default endpoints' models."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfgate.config import Settings
from hfgate.local.cache import ModelCache
from hfgate.process.runtime import Runtime, new_context
from hfgate.services import ServiceContext

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`


async def test_runtimes_share_an_injected_context_and_leave_it_open(
    tmp_path: Path, shared_context: ServiceContext
) -> None:
    runtime = await Runtime.start(Settings(data_dir=tmp_path), context=shared_context)
    try:
        assert runtime.context is shared_context
        assert runtime.services["local"].context is shared_context
    finally:
        await runtime.aclose()
    assert shared_context.shared(ModelCache) is runtime.context.shared(ModelCache)  # still usable by the next app


async def test_preload_loads_default_models_and_skips_a_deleted_default(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    context = new_context(settings)
    runtime = await Runtime.start(settings, context=context)
    try:
        runtime.store.delete(".smollm2-135m-instruct")
        await runtime.preload()
        loaded = context.shared(ModelCache).loaded()
        assert len(loaded) == 1
        assert loaded[0].startswith("embedding:")
    finally:
        await runtime.aclose()
        context.close()
