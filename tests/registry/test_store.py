"""The endpoint store on SQLite and PostgreSQL: CRUD, restarts, concurrent creates, encryption at rest."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from hfgate.config import Settings
from hfgate.errors import AlreadyExistsError, EndpointNotFoundError
from hfgate.registry.database import make_engine
from hfgate.registry.defaults import provision_defaults
from hfgate.registry.endpoint import Endpoint
from hfgate.registry.migrations import MIGRATIONS, migrate
from hfgate.registry.schema import schema_migrations
from hfgate.registry.secrets import SecretBox
from hfgate.registry.store import EndpointStore
from hfgate.tasks import TaskType

SECRET = "hf_SECRETtokenNEVERshown1234567890"


_engines: list[Engine] = []


def _store(settings: Settings) -> EndpointStore:
    engine = _engine(settings)
    migrate(engine)
    return EndpointStore(engine, SecretBox.from_settings(settings))


def _engine(settings: Settings) -> Engine:
    engine = make_engine(settings)
    _engines.append(engine)
    return engine


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    try:
        yield
    finally:
        while _engines:
            _engines.pop().dispose()


def _endpoint(inference_id: str = "emb") -> Endpoint:
    return Endpoint(
        inference_id=inference_id,
        task_type=TaskType.TEXT_EMBEDDING,
        service="hugging_face",
        service_settings={"url": "http://127.0.0.1:1/embed", "dimensions": 3},
        secrets={"api_key": SECRET},
        chunking_settings={"strategy": "word", "max_chunk_size": 100, "overlap": 10},
    )


@pytest.fixture
def db_settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url)


def test_created_endpoint_reads_back_with_its_secret_decrypted(db_settings: Settings) -> None:
    store = _store(db_settings)
    store.create(_endpoint())
    read = store.get("emb")
    assert read.secrets == {"api_key": SECRET}
    assert read.service_settings == {"url": "http://127.0.0.1:1/embed", "dimensions": 3}
    assert read.chunking_settings == {"strategy": "word", "max_chunk_size": 100, "overlap": 10}


def test_endpoints_survive_a_restart(db_settings: Settings) -> None:
    _store(db_settings).create(_endpoint())
    reopened = _store(db_settings)
    assert [e.inference_id for e in reopened.list()] == ["emb"]


def test_list_filters_by_task_type_and_orders_by_id(db_settings: Settings) -> None:
    store = _store(db_settings)
    for name in ("b", "a"):
        store.create(_endpoint(name))
    store.create(Endpoint(inference_id="c", task_type=TaskType.COMPLETION, service="local"))
    assert [e.inference_id for e in store.list()] == ["a", "b", "c"]
    assert [e.inference_id for e in store.list(TaskType.COMPLETION)] == ["c"]


def test_replace_and_delete_change_the_stored_endpoint(db_settings: Settings) -> None:
    store = _store(db_settings)
    store.create(_endpoint())
    store.replace(_endpoint().evolve(secrets={"api_key": "hf_new"}))
    assert store.get("emb").secrets == {"api_key": "hf_new"}
    store.delete("emb")
    with pytest.raises(EndpointNotFoundError, match=r"Inference endpoint not found \[emb\]"):
        store.get("emb")
    with pytest.raises(EndpointNotFoundError):
        store.delete("emb")
    with pytest.raises(EndpointNotFoundError):
        store.replace(_endpoint())


def test_concurrent_creates_of_one_id_exactly_one_wins(db_settings: Settings) -> None:
    store = _store(db_settings)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def create() -> None:
        barrier.wait()
        try:
            store.create(_endpoint())
            outcomes.append("created")
        except AlreadyExistsError as exc:
            outcomes.append(exc.reason)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("created") == 1
    assert outcomes.count("Inference endpoint [emb] already exists") == 7


def test_migrations_are_recorded_once_and_rerunning_applies_nothing(db_settings: Settings) -> None:
    engine = _engine(db_settings)
    assert migrate(engine) == [name for name, _ in MIGRATIONS]
    assert migrate(engine) == []
    with engine.connect() as conn:
        names = [row.name for row in conn.execute(select(schema_migrations.c.name))]
    assert sorted(names) == sorted(name for name, _ in MIGRATIONS)


def test_defaults_are_provisioned_once_and_a_deleted_default_stays_deleted(db_settings: Settings) -> None:
    store = _store(db_settings)
    presets = [".ms-marco-minilm-l6-v2", ".splade-pp-en-v1"]  # provisioned alike, loaded at first use only
    assert provision_defaults(store) == [".all-minilm-l6-v2", ".smollm2-135m-instruct", *presets]
    assert provision_defaults(store) == []
    store.delete(".all-minilm-l6-v2")
    assert provision_defaults(store) == []
    assert [e.inference_id for e in store.list()] == sorted([".smollm2-135m-instruct", *presets])


def test_secret_is_not_stored_in_plaintext(db_settings: Settings) -> None:
    store = _store(db_settings)
    store.create(_endpoint())
    with _engine(db_settings).connect() as conn:
        rows = conn.execute(text("SELECT * FROM endpoints")).all()
    assert SECRET not in repr(rows)
