"""A full disk is a clear error (507) and leaves no half model behind. Needs a small filesystem: a
tmpfs mounted for the test (root in the test container); skipped where mounting is not allowed."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hfgate.config import Settings
from tests.conftest import app_client
from tests.local.hub.conftest import TINY
from tests.support.hub_server import TestHub
from tests.support.waiting import until_true


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MiB filesystem: room for the tiny model's small files, not for its 4 MB of weights."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


async def test_a_full_disk_fails_the_download_with_507_and_leaves_no_half_model(
    hub: TestHub, hub_settings: Settings, small_disk: Path
) -> None:
    settings = hub_settings.model_copy(update={"hf_hub_cache": small_disk})
    body = {"service": "local", "service_settings": {"model": TINY, "engine": "torch"}}
    async with app_client(settings) as client:
        assert (await client.put("/_inference/text_embedding/tiny", json=body)).status_code == 200

        async def model_state() -> dict[str, Any]:
            listed = (await client.get("/_inference/tiny")).json()["endpoints"][0]
            state: dict[str, Any] = listed["service_settings"]["model_state"]
            return state

        async def failed() -> bool:
            return (await model_state())["state"] == "failed"

        await until_true(failed, what="the download's failure")
        state = await model_state()
        called = await client.post("/_inference/text_embedding/tiny", json={"input": ["x"]})
    assert state["state"] == "failed", state
    assert re.search(r"needs 4\.\d MB more .* has \d\.\d MB free", state["reason"]), state
    assert called.status_code == 507
    snapshot = small_disk / "models--test-org--tiny-bert" / "snapshots" / hub.repos[TINY].refs["main"]
    assert not snapshot.exists() or not any(snapshot.rglob("*"))
