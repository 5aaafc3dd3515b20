"""The registry's database failing under hfgate: PostgreSQL restarted during load, a full disk.

Reads keep being served from the registry cache, writes answer 503 (unreachable) or 507 (disk full)
and succeed again afterwards, and nothing is half-written.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from hfgate.api.app import create_app
from hfgate.config import Settings
from hfgate.local.catalog import resolve_model
from tests.fakes.hostile_upstream import HostileUpstream, hostile
from tests.support.live_server import serve_app
from tests.support.own_postgres import own_postgres
from tests.support.waiting import wait_until

__all__ = ["hostile"]  # the module's fixture

pytestmark = pytest.mark.postgres


def _tei(hostile: HostileUpstream) -> dict[str, object]:
    return {"service": "hugging_face", "service_settings": {"url": f"{hostile.base}/tei/", "api_key": "k"}}


def _load(http: httpx.Client, stop: threading.Event, answers: list[tuple[float, int]]) -> None:
    while not stop.is_set():
        sent = time.monotonic()
        answers.append((sent, http.post("/_inference/text_embedding/steady", json={"input": "a"}).status_code))


def _answered_after(answers: list[tuple[float, int]], moment: float, *, count: int = 3) -> None:
    """Wait until ``count`` requests of the load sent after ``moment`` (monotonic) were answered."""
    wait_until(lambda: sum(sent > moment for sent, _ in list(answers)) >= count, what="the load's answers")


def test_postgres_restarted_during_load(tmp_path: Path, hostile: HostileUpstream) -> None:
    with own_postgres() as postgres:
        settings = Settings(data_dir=tmp_path, database_url=postgres.url, provision_defaults=False,
                            registry_cache_seconds=0.2, log_format="text", log_level="error")  # fmt: skip
        with serve_app(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as http:
            assert (
                http.put("/_inference/text_embedding/steady?skip_validation=true", json=_tei(hostile)).status_code
                == 200
            )
            answers: list[tuple[float, int]] = []
            stop = threading.Event()
            loader = threading.Thread(target=_load, args=(http, stop, answers))
            loader.start()
            try:
                _answered_after(answers, time.monotonic())
                postgres.stop()
                # past the cache's freshness: reads now fall back on the cached copy
                _answered_after(answers, time.monotonic() + settings.registry_cache_seconds)
                with httpx.Client(base_url=url, timeout=30) as writer:
                    down = writer.put("/_inference/text_embedding/during?skip_validation=true", json=_tei(hostile))
                    deleting = writer.delete("/_inference/steady")
                postgres.start()
                _answered_after(answers, time.monotonic())
            finally:
                stop.set()
                loader.join(30)
            statuses = Counter(status for _, status in answers)
            assert down.status_code == 503, down.text
            assert "The endpoint registry (database) is unreachable" in down.json()["error"]["reason"]
            assert "retry" in down.json()["error"]["reason"]
            assert deleting.status_code == 503
            assert set(statuses) == {200}, statuses  # inference never noticed
            again = http.put("/_inference/text_embedding/during?skip_validation=true", json=_tei(hostile))
            assert again.status_code == 200, again.text
            listed = [e["inference_id"] for e in http.get("/_inference/_all").json()["endpoints"]]
            assert listed == ["during", "steady"]
        engine = create_engine(postgres.url.rsplit("/", 1)[0] + "/postgres")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT inference_id, version FROM endpoints ORDER BY 1")).all()
        engine.dispose()
        assert [tuple(r) for r in rows] == [("during", 1), ("steady", 1)]  # nothing half-written


@contextlib.contextmanager
def _small_disk(size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (a full disk on demand); skipped where mounting is not allowed."""
    mount = Path(tempfile.mkdtemp(prefix="hfgate-disk-"))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        mount.rmdir()
        pytest.skip(
            f"cannot mount a small tmpfs here ({done.stderr.decode().strip()}); run as root to test a full disk"
        )
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
        mount.rmdir()


def _fill(path: Path) -> Path:
    filler = path / "filler"
    with filler.open("wb", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 65536)
    return filler


def test_a_full_disk_refuses_registry_writes_with_507_and_keeps_the_registry(hostile: HostileUpstream) -> None:
    with _small_disk("4m") as disk:
        settings = Settings(data_dir=disk, provision_defaults=False, registry_cache_seconds=0, log_format="text",
                            log_level="error")  # fmt: skip
        with serve_app(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as http:
            assert (
                http.put("/_inference/text_embedding/before?skip_validation=true", json=_tei(hostile)).status_code
                == 200
            )
            filler = _fill(disk)
            full = http.put("/_inference/text_embedding/after?skip_validation=true", json=_tei(hostile))
            assert full.status_code == 507, full.text
            assert "the disk is full" in full.json()["error"]["reason"]
            assert http.post("/_inference/text_embedding/before", json={"input": "a"}).status_code == 200
            assert [e["inference_id"] for e in http.get("/_inference/_all").json()["endpoints"]] == ["before"]
            filler.unlink()
            assert (
                http.put("/_inference/text_embedding/after?skip_validation=true", json=_tei(hostile)).status_code == 200
            )
        engine = create_engine(f"sqlite:///{disk / 'hfgate.db'}")
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        engine.dispose()


def test_a_full_disk_during_a_model_cache_conversion_is_a_507_leaving_nothing_behind(tmp_path: Path) -> None:
    """A GGUF model's weights are converted once into HFGATE_DATA_DIR/models; here that disk is full. (A copy
    of SmolLM2's GGUF in a folder of the user's: the packaged file itself was converted at install time.)"""
    location = resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct")
    assert location.gguf_file is not None
    folder = tmp_path / "my-gguf-model"
    folder.mkdir()
    shutil.copyfile(location.path / location.gguf_file, folder / location.gguf_file)
    with _small_disk("8m") as disk:
        settings = Settings(data_dir=disk, provision_defaults=False, log_format="text", log_level="error")
        with serve_app(create_app(settings)) as url, httpx.Client(base_url=url, timeout=300) as http:
            local = {"service": "local", "service_settings": {"model": str(folder), "dtype": "float32"}}
            created = http.put("/_inference/chat_completion/mine?skip_validation=true", json=local)
            assert created.status_code == 200, created.text
            body = {"model": "mine", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
            answer = http.post("/v1/chat/completions", json=body)
            assert answer.status_code == 507, answer.text
            assert "No space left on the disk to write the model's converted cache" in answer.json()["error"]["message"]
            assert http.get("/_inference/_all").status_code == 200  # the registry is untouched
        assert not list((disk / "models").glob("*")), "a half-written cache was left"


def test_a_registry_key_checked_before_keeps_working_while_postgres_is_down(
    tmp_path: Path, hostile: HostileUpstream
) -> None:
    with own_postgres() as postgres:
        settings = Settings(data_dir=tmp_path, database_url=postgres.url, provision_defaults=False,
                            registry_cache_seconds=0.2, log_format="text", log_level="error")  # fmt: skip
        app = create_app(settings)
        with serve_app(app) as url, httpx.Client(base_url=url, timeout=30) as http:
            made = http.post("/_security/api_key", json={"name": "app", "roles": ["infer", "manage"]})
            assert made.status_code == 200, made.text
            known = {"Authorization": f"ApiKey {made.json()['encoded']}"}
            created = http.put(
                "/_inference/text_embedding/steady?skip_validation=true", json=_tei(hostile), headers=known
            )
            assert created.status_code == 200, created.text
            # The creations' change notices arrive through LISTEN/NOTIFY a moment later and evict what they
            # name: one arriving after the request below cached the key or the endpoint would leave nothing
            # to serve stale (the flake this test once had).
            _changes_delivered(app, postgres.url)
            assert http.post("/_inference/text_embedding/steady", json={"input": "a"}, headers=known).status_code == 200
            postgres.stop()
            try:
                time.sleep(0.5)  # past the key cache's and the endpoint cache's freshness
                served = http.post("/_inference/text_embedding/steady", json={"input": "a"}, headers=known)
                stranger = http.post(
                    "/_inference/text_embedding/steady", json={"input": "a"}, headers={"Authorization": "ApiKey eA=="}
                )
                never_seen = http.post(
                    "/_inference/text_embedding/steady",
                    json={"input": "a"},
                    headers={"Authorization": f"ApiKey {made.json()['encoded'][:-4]}AAA="},
                )
            finally:
                postgres.start()
            assert served.status_code == 200, served.text  # stale beats down for a key that was valid
            assert stranger.status_code == 401  # a malformed key needs no database to be refused
            assert never_seen.status_code in {401, 503}, never_seen.text  # never a 500 or a dropped connection
            assert http.get("/_inference/steady", headers=known).status_code == 200  # the same connection still works


def _changes_delivered(app: Any, database_url: str) -> None:
    """Wait until the app's change feed has delivered every notice sent so far: PostgreSQL delivers a
    channel's notices in commit order, so a marker sent now arrives after all of them."""
    arrived = threading.Event()
    app.state.runtime.changes.subscribe("test-marker", lambda key: arrived.set())
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            payload = '{"topic": "test-marker", "key": "m", "origin": "test"}'
            conn.execute(text("SELECT pg_notify('hfgate_changes', :payload)"), {"payload": payload})
    finally:
        engine.dispose()
    assert arrived.wait(timeout=30), "the change feed did not deliver a marker within 30 s"
