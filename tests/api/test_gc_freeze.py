"""While the app runs, what start-up made is frozen out of the garbage collector's sight (see create_app)."""

from __future__ import annotations

import gc
from pathlib import Path

from hfgate.config import Settings
from hfgate.process.collector import YOUNG_THRESHOLD
from tests.conftest import app_client


async def test_start_up_objects_are_frozen_and_young_collections_rarer_while_the_app_runs(tmp_path: Path) -> None:
    before = gc.get_threshold()
    async with app_client(Settings(data_dir=tmp_path, provision_defaults=False)):
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
