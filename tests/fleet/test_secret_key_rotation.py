"""``hfgate secret-key rotate`` under load on three replicas sharing one PostgreSQL database.

The fleet is first started with the old key and given endpoints whose upstream token is encrypted with
it; a rolling restart gives every replica the new key with the old one as ``HFGATE_SECRET_KEY_PREVIOUS``;
then the rotation runs while the replicas serve embeddings (the fake upstream answers only the right
token) and take ``_update``s, and the registry cache is off so every request decrypts the stored row.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import create_engine, select

from hfgate.registry.key_check import recorded_fingerprint
from hfgate.registry.schema import endpoints
from hfgate.registry.secrets import SecretBox
from tests.fakes.hf_server import TOKEN, FakeHF
from tests.support.postgres import fresh_database
from tests.support.redis_server import RedisServer
from tests.support.replicas import SRC, Replica, fleet_env, start_fleet
from tests.support.waiting import until

pytestmark = pytest.mark.postgres

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
ENDPOINTS = [f"emb-{n:02d}" for n in range(30)]


@dataclass
class Load:
    """What the clients saw while the rotation ran."""

    statuses: list[int | str] = field(default_factory=list)
    updates: dict[str, int] = field(default_factory=dict)  # endpoint → the last requests_per_minute set


@pytest.fixture
def upstream() -> Iterator[FakeHF]:
    server = FakeHF()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def _settings(upstream: str, rpm: int) -> dict[str, object]:
    return {"url": f"{upstream}/tei", "api_key": TOKEN, "rate_limit": {"requests_per_minute": rpm}}


def _rolling_restart(replicas: list[Replica], env: dict[str, str], workdir: Path) -> list[Replica]:
    restarted = []
    for n, replica in enumerate(replicas):
        replica.stop()
        fresh = Replica({**env, "HFGATE_DATA_DIR": str(workdir / f"replica{n}")}, log=workdir / f"rotating{n}.log")
        fresh.wait_healthy()
        restarted.append(fresh)
    return restarted


async def _serve(client: httpx.AsyncClient, urls: list[str], load: Load, worker: int, done: asyncio.Event) -> None:
    n = worker
    while not done.is_set():
        url, inference_id = urls[n % len(urls)], ENDPOINTS[n % len(ENDPOINTS)]
        try:
            answer = await client.post(f"{url}/_inference/text_embedding/{inference_id}", json={"input": [f"t{n}"]})
            load.statuses.append(answer.status_code)
        except httpx.TransportError as exc:
            load.statuses.append(type(exc).__name__)
        n += 7


async def _update(client: httpx.AsyncClient, urls: list[str], upstream: str, load: Load, done: asyncio.Event) -> None:
    n = 0
    while not done.is_set():
        inference_id, rpm = ENDPOINTS[(n * 11) % len(ENDPOINTS)], 70000 + n
        body = {"service_settings": _settings(upstream, rpm)}
        answer = await client.put(f"{urls[n % len(urls)]}/_inference/text_embedding/{inference_id}/_update", json=body)
        load.statuses.append(answer.status_code)
        load.updates[inference_id] = rpm
        n += 1


async def _rotate_under_load(urls: list[str], env: dict[str, str], upstream: str) -> tuple[Load, str]:
    load, done = Load(), asyncio.Event()
    async with httpx.AsyncClient(timeout=30) as client:
        workers = [asyncio.create_task(_serve(client, urls, load, w, done)) for w in range(6)]
        workers.append(asyncio.create_task(_update(client, urls, upstream, load, done)))
        await until(lambda: len(load.statuses) >= 20, what="the load under way before the rotation")
        rotation = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hfgate.cli", "secret-key", "rotate", "--batch-size", "4", "--pause", "0.2",
            env={**os.environ, **env, "PYTHONPATH": str(SRC)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await rotation.communicate()
        after = len(load.statuses)
        await until(lambda: len(load.statuses) >= after + 20, what="requests served after the rotation")
        done.set()
        await asyncio.gather(*workers)
    said = output.decode()
    assert rotation.returncode == 0, said
    return load, said


def _stored(database_url: str) -> dict[str, str]:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return {row.inference_id: row.secrets for row in conn.execute(select(endpoints))}
    finally:
        engine.dispose()


def test_rotating_the_key_under_load_on_three_replicas_fails_no_request_and_loses_no_secret(
    upstream: FakeHF, redis_url: str, tmp_path: Path
) -> None:
    with fresh_database() as database_url:
        env = fleet_env(database_url=database_url, redis_url=redis_url, HFGATE_SECRET_KEY=OLD,
                        HFGATE_REGISTRY_CACHE_SECONDS="0", HFGATE_REPLICAS="3")  # fmt: skip
        replicas = start_fleet(3, env=env, workdir=tmp_path)
        try:
            for n, inference_id in enumerate(ENDPOINTS):
                body = {"service": "hugging_face", "service_settings": _settings(upstream.base, 60000)}
                answer = httpx.put(f"{replicas[n % 3].url}/_inference/text_embedding/{inference_id}", json=body)
                assert answer.status_code == 200, answer.text
            rotating = {**env, "HFGATE_SECRET_KEY": NEW, "HFGATE_SECRET_KEY_PREVIOUS": OLD}
            replicas = _rolling_restart(replicas, rotating, tmp_path)
            assert all('"event":"db.secret_key.rotating"' in r.log.read_text() for r in replicas)
            load, said = asyncio.run(_rotate_under_load([r.url for r in replicas], rotating, upstream.base))
            _assert_nothing_failed_or_lost(load, said, database_url, [r.url for r in replicas])
            _assert_only_the_new_key_starts(env, tmp_path, upstream.base)
        finally:
            for replica in replicas:
                replica.stop()


def _assert_nothing_failed_or_lost(load: Load, said: str, database_url: str, urls: list[str]) -> None:
    failed = [status for status in load.statuses if status != 200]
    assert not failed, f"{len(failed)} of {len(load.statuses)} failed: {failed[:10]}"
    assert len(load.statuses) > 200, said
    assert "batch 8:" in said, said  # 30 rows in batches of 4: the rotation overlapped the load
    assert "rotated:" in said, said
    stored = _stored(database_url)
    assert sorted(stored) == ENDPOINTS
    assert all(SecretBox(NEW.encode()).decrypt(token) == {"api_key": TOKEN} for token in stored.values())
    for token in stored.values():
        with pytest.raises(InvalidToken):
            Fernet(OLD.encode()).decrypt(token.encode())
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        assert recorded_fingerprint(engine) == SecretBox(NEW.encode()).fingerprint
    finally:
        engine.dispose()
    assert load.updates, "no _update ran during the rotation"
    for inference_id, rpm in load.updates.items():  # no concurrent _update was overwritten by the rotation
        got = httpx.get(f"{urls[0]}/_inference/text_embedding/{inference_id}").json()["endpoints"][0]
        assert got["service_settings"]["rate_limit"]["requests_per_minute"] == rpm


def _assert_only_the_new_key_starts(env: dict[str, str], workdir: Path, upstream: str) -> None:
    rotated = Replica({**env, "HFGATE_SECRET_KEY": NEW, "HFGATE_DATA_DIR": str(workdir / "new-only")},
                      log=workdir / "new-only.log")  # fmt: skip
    try:
        rotated.wait_healthy()
        answer = httpx.post(f"{rotated.url}/_inference/text_embedding/{ENDPOINTS[0]}", json={"input": ["x"]})
        assert answer.status_code == 200, answer.text
    finally:
        rotated.stop()
    stale = Replica({**env, "HFGATE_SECRET_KEY": OLD, "HFGATE_DATA_DIR": str(workdir / "old-only")},
                    log=workdir / "old-only.log")  # fmt: skip
    try:
        assert stale.process.wait(60) == 2
    finally:
        stale.stop()
    said = " ".join(stale.log.read_text().split())
    assert "Refusing to start" in said
    assert "was rotated out of this database" in said
