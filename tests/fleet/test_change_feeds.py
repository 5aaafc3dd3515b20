"""The change feed over Redis pub/sub: between two apps on one SQLite file (as ``--workers`` run), and
after Redis restarts (every cache is told to forget everything, since changes may have been missed)."""

from __future__ import annotations

import uuid
from pathlib import Path

from hfgate.fleet.redis_changes import RedisChanges
from tests.conftest import app_client
from tests.fakes.hf_fixtures import fake_hf, fake_hf_server, hf_settings
from tests.fakes.hf_server import TOKEN, FakeHF
from tests.support.redis_server import RedisServer
from tests.support.waiting import until, until_true

__all__ = ["fake_hf", "fake_hf_server"]


async def test_workers_on_one_sqlite_file_see_an_update_through_redis(fake_hf: FakeHF, tmp_path: Path) -> None:
    settings = hf_settings(fake_hf.base, tmp_path).model_copy(
        update={
            "provision_defaults": False,
            "registry_cache_seconds": 60,
            "redis_url": "redis://127.0.0.1:6379/0",
            "redis_prefix": f"hfgate-test-{uuid.uuid4().hex}:",
        }
    )
    body = {"service": "hugging_face", "service_settings": {"api_key": TOKEN, "url": f"{fake_hf.base}/tei"}}
    async with app_client(settings) as a, app_client(settings) as b:
        assert (await a.put("/_inference/text_embedding/tei?skip_validation=true", json=body)).status_code == 200
        assert (await b.post("/_inference/text_embedding/tei", json={"input": ["x"]})).status_code == 200
        update = {"service_settings": {"api_key": "hf_revoked"}}
        assert (await a.put("/_inference/text_embedding/tei/_update", json=update)).status_code == 200

        async def revoked_token_sent() -> bool:  # the other replica forgot its copy: the upstream refuses
            return (await b.post("/_inference/text_embedding/tei", json={"input": ["x"]})).status_code == 401

        await until_true(revoked_token_sent, within=5, what="the update reaching the other replica")


async def test_after_redis_restarts_subscribers_are_told_to_forget_everything(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis")
    server.start()
    heard: list[str] = []
    changes = RedisChanges(server.url, channel="changes")
    changes.subscribe("endpoint", heard.append)
    await changes.start()
    try:
        await changes.publish("endpoint", "e1")
        server.stop()
        server.start()
        await until(lambda: "*" in heard, within=5, what="the reconnected listener's forget-everything")
        await changes.publish("endpoint", "e2")
        await until(lambda: "e2" in heard, within=5, what="the message published after the reconnection")
    finally:
        await changes.aclose()
        server.stop()
    assert heard == ["e1", "*", "e2"]
