"""Upgrades: every earlier schema's fixture, with rows, upgrades to the latest and reads back intact (SQLite and
PostgreSQL); a database newer than the code is refused; backups restore (sqlite3 backup API, pg_dump/psql)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert
from typer.testing import CliRunner

from hfgate.cli import app
from hfgate.config import Settings
from hfgate.errors import SchemaTooNewError
from hfgate.process.runtime import Runtime
from hfgate.registry.database import make_engine
from hfgate.registry.endpoint import utcnow
from hfgate.registry.migrations import MIGRATIONS, migrate
from hfgate.registry.schema import schema_migrations
from tests.support.postgres import fresh_database
from tests.support.upgrade_fixtures import (
    FIXTURE_SECRET_KEY,
    FIXTURES,
    check_intact,
    dump,
    fixture_settings,
    names,
    postgres_fixture,
    restore,
    schema_version,
    sqlite_fixture,
)

# Every committed fixture; a migration appended later (without a fixture yet) is still applied by each test.
VERSIONS = sorted(path.stem for path in FIXTURES.glob("*.sqlite"))
LATEST = MIGRATIONS[-1][0]
FUTURE = "9999_from_a_newer_hfgate"


def test_every_known_migration_but_the_newest_few_has_fixtures() -> None:
    assert VERSIONS, "no fixtures in tests/registry/fixtures"
    assert set(VERSIONS) <= set(names())
    assert names()[: len(VERSIONS)] == VERSIONS, "fixtures must be a prefix of MIGRATIONS (none skipped)"
    assert all(postgres_fixture(name).exists() for name in VERSIONS)


def _sqlite_copy(version: str, tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(sqlite_fixture(version), data_dir / "hfgate.db")
    return data_dir


@pytest.mark.parametrize("version", VERSIONS)
def test_a_sqlite_registry_of_each_earlier_schema_upgrades_with_every_row_intact(version: str, tmp_path: Path) -> None:
    engine = make_engine(fixture_settings(_sqlite_copy(version, tmp_path)))
    try:
        applied = migrate(engine)
        assert applied == names()[names().index(version) + 1 :]
        assert schema_version(engine) == names()
        check_intact(engine, through=version)
        assert migrate(engine) == []  # a second start changes nothing
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("version", VERSIONS)
def test_a_postgres_registry_of_each_earlier_schema_upgrades_with_every_row_intact(version: str) -> None:
    with fresh_database() as url:
        restore(postgres_fixture(version), url)
        engine = create_engine(url)
        try:
            assert migrate(engine) == names()[names().index(version) + 1 :]
            assert schema_version(engine) == names()
            check_intact(engine, through=version)
        finally:
            engine.dispose()


async def test_hfgate_starts_on_the_oldest_sqlite_fixture_and_serves_its_endpoints(tmp_path: Path) -> None:
    runtime = await Runtime.start(fixture_settings(_sqlite_copy(VERSIONS[0], tmp_path)))
    try:
        assert runtime.store.get("remote-emb").secrets["api_key"].startswith("hf_FIXTURE")
    finally:
        await runtime.aclose()


def _record_future_migration(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(schema_migrations).values(name=FUTURE, applied_at=utcnow()))
    finally:
        engine.dispose()


def _assert_names_both_versions(message: str) -> None:
    assert f"[{FUTURE}]" in message
    assert f"[{LATEST}]" in message
    assert "Run the newer hfgate" in message
    assert "restore a backup" in message


def test_a_sqlite_registry_newer_than_the_code_is_refused_naming_both_versions(tmp_path: Path) -> None:
    data_dir = _sqlite_copy(VERSIONS[-1], tmp_path)
    _record_future_migration(f"sqlite:///{data_dir / 'hfgate.db'}")
    engine = make_engine(fixture_settings(data_dir))
    try:
        with pytest.raises(SchemaTooNewError) as caught:
            migrate(engine)
        _assert_names_both_versions(caught.value.reason)
        assert schema_version(engine) == sorted([*VERSIONS, FUTURE])  # nothing applied
    finally:
        engine.dispose()


def test_hfgate_serve_refuses_to_start_on_a_newer_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = _sqlite_copy(VERSIONS[-1], tmp_path)
    _record_future_migration(f"sqlite:///{data_dir / 'hfgate.db'}")
    monkeypatch.setenv("HFGATE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HFGATE_SECRET_KEY", FIXTURE_SECRET_KEY)
    result = CliRunner().invoke(app, ["serve", "--no-preload"])
    assert result.exit_code == 2
    _assert_names_both_versions(" ".join(result.output.split()))


@pytest.mark.postgres
async def test_a_postgres_registry_newer_than_the_code_refuses_to_start(tmp_path: Path) -> None:
    with fresh_database() as url:
        restore(postgres_fixture(VERSIONS[-1]), url)
        migrate_engine = create_engine(url)
        migrate(migrate_engine)
        migrate_engine.dispose()
        _record_future_migration(url)
        with pytest.raises(SchemaTooNewError) as caught:
            await Runtime.start(fixture_settings(tmp_path, database_url=url))
        _assert_names_both_versions(caught.value.reason)


async def test_a_sqlite_backup_taken_with_hfgate_backup_starts_with_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = _sqlite_copy(VERSIONS[-1], tmp_path)
    engine = make_engine(fixture_settings(data_dir))
    migrate(engine)  # the running hfgate's database, open while the backup is taken
    monkeypatch.setenv("HFGATE_DATA_DIR", str(data_dir))
    backup = tmp_path / "backup.db"
    try:
        result = CliRunner().invoke(app, ["backup", "--to", str(backup)])
        assert result.exit_code == 0, result.output
        again = CliRunner().invoke(app, ["backup", "--to", str(backup)])
        assert again.exit_code == 2
        assert "exists already" in " ".join(again.output.split())
    finally:
        engine.dispose()
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copyfile(backup, restored / "hfgate.db")  # the restore: hfgate stopped, the file copied back
    await _start_and_check(fixture_settings(restored), version=VERSIONS[-1])


def test_hfgate_backup_on_postgres_says_to_use_pg_dump(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFGATE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HFGATE_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/hfgate")
    result = CliRunner().invoke(app, ["backup", "--to", str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert "pg_dump" in result.output
    assert not (tmp_path / "x.db").exists()


@pytest.mark.postgres
async def test_a_postgres_pg_dump_restored_into_a_fresh_database_starts_with_every_row(tmp_path: Path) -> None:
    dump_file = tmp_path / "hfgate.sql"
    with fresh_database() as url:
        restore(postgres_fixture(VERSIONS[-1]), url)
        engine = create_engine(url)
        migrate(engine)  # the running fleet's database, at the latest schema
        engine.dispose()
        dump(url, dump_file)
    with fresh_database() as url:
        restore(dump_file, url)
        await _start_and_check(fixture_settings(tmp_path, database_url=url), version=VERSIONS[-1])


async def _start_and_check(settings: Settings, *, version: str) -> None:
    runtime = await Runtime.start(settings)
    try:
        check_intact(runtime.engine, through=version)
    finally:
        await runtime.aclose()
