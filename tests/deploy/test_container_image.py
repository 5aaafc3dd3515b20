"""The container image (``make image``): built from the Containerfile, it starts offline as a non-root
user, answers ``/ready`` once its default models are loaded, and embeds with the baked-in MiniLM.

Needs podman, debootstrap and runc (``make image`` installs them with apt-get). A build copies a 2.4 GB
image's layers and a wheelhouse of torch and the local extra, minutes on two cores, too long for ``make
test``'s budget, so it runs when asked: ``make image-test`` (``HFGATE_TEST_IMAGE=1``); skipped otherwise,
and where podman is absent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "localhost/hfgate:test"
KEY = "container-test-key"
pytestmark = [
    pytest.mark.skipif(
        os.environ.get("HFGATE_TEST_IMAGE") != "1",
        reason="building the image takes minutes: run `make image-test` (HFGATE_TEST_IMAGE=1)",
    ),
    pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed (make image installs it)"),
]


def _podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONTAINERS_CONF": str(ROOT / "deploy" / "containers.conf")}
    return subprocess.run(["podman", *args], env=env, capture_output=True, text=True, check=check)


@pytest.fixture(scope="module")
def container() -> Iterator[str]:
    """``make image`` (with this test run's virtualenv), then the image run on the host's network."""
    venv = Path(sys.executable).parent.parent
    subprocess.run(["make", "-C", str(ROOT), "image", f"VENV={venv}", f"IMAGE={IMAGE}"], check=True)
    port = free_port()
    name = f"hfgate-test-{port}"
    _podman("run", "-d", "--rm", "--name", name, "--runtime", "runc", "--network", "host",
            "-e", f"HFGATE_API_KEYS={KEY}", IMAGE, "--port", str(port))  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _podman("rm", "-f", name, check=False)


def _until_ready(url: str) -> httpx.Response:
    """Poll ``/ready`` until it answers 200, or the container stops (its logs then say why)."""
    while True:
        try:
            response = httpx.get(f"{url}/ready", timeout=5)
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 200:
            return response
        running = _podman("ps", "-q", "--filter", f"name=hfgate-test-{url.rsplit(':', 1)[1]}").stdout.strip()
        assert running, "the container stopped before it was ready"
        time.sleep(1)


def test_the_image_becomes_ready_without_a_key_and_embeds_with_its_baked_in_model(container: str) -> None:
    assert _until_ready(container).json() == {"status": "ready"}
    response = httpx.post(
        f"{container}/_inference/text_embedding/.all-minilm-l6-v2",
        json={"input": ["hello world"]},
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    (embedding,) = response.json()["text_embedding"]
    assert len(embedding["embedding"]) == 384


def test_the_image_runs_as_a_non_root_user(container: str) -> None:
    name = f"hfgate-test-{container.rsplit(':', 1)[1]}"
    assert _podman("exec", name, "id", "-u").stdout.strip() == "10001"
