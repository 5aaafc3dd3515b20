"""A kill -9 in the middle of a burst of writes leaves the registry consistent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, text

from hfgate.config import Settings
from hfgate.registry.database import make_engine
from hfgate.registry.migrations import migrate
from hfgate.registry.secrets import SecretBox
from hfgate.registry.store import EndpointStore

WRITER = Path(__file__).with_name("crash_writer.py")


def test_kill_during_writes_leaves_every_committed_endpoint_readable(tmp_path: Path, database_url: str | None) -> None:
    data = tmp_path / "data"
    root = Path(__file__).resolve().parents[2]
    writer = subprocess.Popen(
        [sys.executable, str(WRITER), str(data), database_url or ""],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": os.pathsep.join((str(root / "src"), str(root)))},
    )
    try:
        assert writer.stdout is not None
        committed = [writer.stdout.readline() for _ in range(40)]
        time.sleep(0.05)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        if writer.stdout is not None:
            writer.stdout.close()
    last = int(committed[-1])

    settings = Settings(data_dir=data, database_url=database_url)
    engine = make_engine(settings)
    try:
        _check_consistent(engine, settings, last)
    finally:
        engine.dispose()


def _check_consistent(engine: Engine, settings: Settings, last: int) -> None:
    assert migrate(engine) == []
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    endpoints = EndpointStore(engine, SecretBox.from_settings(settings)).list()
    ids = {e.inference_id for e in endpoints}
    assert {f"e{n}" for n in range(last + 1)} <= ids, "a committed write was lost"
    assert ids == {f"e{n}" for n in range(len(ids))}, "writes are not a prefix: a torn transaction"
    for endpoint in endpoints:
        assert endpoint.secrets["api_key"].startswith(f"hf_{endpoint.inference_id[1:]}")
