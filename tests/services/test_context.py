"""ServiceContext: shared resources found by type, closed together."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfgate.config import Settings
from hfgate.local.cache import Compute, ModelCache
from hfgate.ratelimit.pacing import RateLimiters
from hfgate.services import ServiceContext


def test_a_resource_is_found_by_its_type_and_a_missing_one_is_named(tmp_path: Path) -> None:
    cache = ModelCache(budget_bytes=1 << 20)
    context = ServiceContext(limiters=RateLimiters(), settings=Settings(data_dir=tmp_path), resources=(cache,))
    assert context.shared(ModelCache) is cache
    with pytest.raises(LookupError, match="holds no Compute; pass one in its resources"):
        context.shared(Compute)


def test_close_closes_every_resource(tmp_path: Path) -> None:
    closed: list[str] = []

    class Recorder:
        def __init__(self, name: str) -> None:
            self.name = name

        def close(self) -> None:
            closed.append(self.name)

    ServiceContext(
        limiters=RateLimiters(), settings=Settings(data_dir=tmp_path), resources=(Recorder("a"), Recorder("b"))
    ).close()
    assert closed == ["a", "b"]
