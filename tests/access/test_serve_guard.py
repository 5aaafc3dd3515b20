"""``hfgate serve`` on a public address: an API key in the registry closes the gateway as
``HFGATE_API_KEYS`` does, so the serve guard lets it start."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import hfgate
from hfgate.access.tokens import hash_secret, issue
from hfgate.config import Settings
from hfgate.registry.api_keys import KeyStore, StoredKey
from hfgate.registry.database import make_engine
from hfgate.registry.endpoint import utcnow
from hfgate.registry.migrations import migrate
from tests.support.live_server import free_port

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`


def test_serve_starts_on_a_public_address_when_the_registry_holds_a_key(tmp_path: Path) -> None:
    engine = make_engine(Settings(data_dir=tmp_path))
    migrate(engine)
    issued = issue()
    KeyStore(engine).create(StoredKey(key_id=issued.key_id, name="ops", secret_hash=hash_secret(issued.secret),
                                      roles=("monitor",), created_at=utcnow()))  # fmt: skip
    engine.dispose()
    port = free_port()
    source = str(Path(hfgate.__file__).parents[1])  # this checkout's hfgate, not an installed one
    env = {"HFGATE_DATA_DIR": str(tmp_path), "HFGATE_PROVISION_DEFAULTS": "false", "PATH": "/usr/bin:/bin",
           "PYTHONPATH": source}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "hfgate.cli", "serve", "--host", "0.0.0.0", "--port", str(port), "--no-preload"],
        env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else "exited"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.3)
        assert httpx.get(f"http://127.0.0.1:{port}/_inference").status_code == 401
        headers = {"Authorization": f"ApiKey {issued.encoded}"}
        assert httpx.get(f"http://127.0.0.1:{port}/_inference", headers=headers).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stderr is not None:
            server.stderr.close()
