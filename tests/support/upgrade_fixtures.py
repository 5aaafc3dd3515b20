"""Registry databases as each earlier schema left them, with rows in them: made, restored, checked.

Re-make the committed fixtures (tests/registry/fixtures/, one SQLite file and one ``pg_dump`` per
migration) from the worktree root, with the test PostgreSQL on 127.0.0.1:5432::

    PYTHONPATH=src python -m tests.support.upgrade_fixtures

Each fixture is the database after the migrations up to and including one (``migrate(through=…)``), with
the rows below inserted into the tables that schema has, in the columns the migration that created each
table gave it (frozen here, so later migrations never change what an old fixture holds). Fixtures of
migrations already committed are kept; ``--all`` makes them all again.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Connection, DateTime, Engine, create_engine, insert, text
from sqlalchemy.sql import column, table

from hfgate.access.tokens import verify
from hfgate.config import Settings
from hfgate.registry.api_keys import KeyStore
from hfgate.registry.database import make_engine
from hfgate.registry.key_check import FINGERPRINT
from hfgate.registry.migrations import MIGRATIONS, migrate
from hfgate.registry.secrets import SecretBox
from hfgate.registry.store import EndpointStore
from hfgate.registry.usage_store import UsageRow, UsageStore

FIXTURES = Path(__file__).resolve().parents[1] / "registry" / "fixtures"
# A test-only Fernet key: the fixtures' secrets are encrypted with it (a start with another key refuses).
FIXTURE_SECRET_KEY = "DWNwWBvQB0XzZe_d9k5uIqaPT7GLCBqtAtdQeTHmqds="
API_TOKEN = "hf_FIXTUREtokenKEPTacrossUPGRADES"
KEY_SECRET = "fixture-key-secret-0123456789abcdef"
# scrypt hash of KEY_SECRET, made once with hfgate.access.tokens.hash_secret (a fresh salt each time).
KEY_HASH = "scrypt$16384$8$1$xT1fW6H73iCZn3ySzV7Ivw==$IpOhBaM5na3WZzxzm8mfrMt9dsjTX5xmLbgH6KQTw6Y="
CREATED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
HOUR = datetime(2026, 3, 1, 10, tzinfo=UTC)

# The tables as the migration that created each one made them.
_TIME = DateTime(timezone=True)
_ENDPOINTS = table(
    "endpoints", column("inference_id"), column("task_type"), column("service"), column("service_settings"),
    column("task_settings"), column("chunking_settings"), column("secrets"), column("version"),
    column("created_at", _TIME), column("updated_at", _TIME),
)  # fmt: skip
_PROVISIONED = table("provisioned_defaults", column("inference_id"), column("provisioned_at", _TIME))
_FLEET = table("fleet_settings", column("name"), column("value"), column("recorded_at", _TIME))
_KEYS = table(
    "api_keys", column("key_id"), column("name"), column("secret_hash"), column("roles"), column("endpoints"),
    column("requests_per_minute"), column("tokens_per_minute"), column("created_at", _TIME),
    column("expires_at", _TIME), column("revoked_at", _TIME),
)  # fmt: skip
_USAGE = table(
    "usage_hourly", column("hour", _TIME), column("key_id"), column("inference_id"), column("task_type"),
    column("status"), column("requests"), column("input_tokens"), column("output_tokens"),
    column("latency_ms_sum"), column("latency_ms_max"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ExpectedEndpoint:
    inference_id: str
    task_type: str
    service: str
    service_settings: dict[str, Any]
    secrets: dict[str, str]
    task_settings: dict[str, Any]
    chunking_settings: dict[str, Any] | None


ENDPOINTS = (
    ExpectedEndpoint(
        "remote-emb", "text_embedding", "hugging_face",
        {"url": "http://127.0.0.1:9/embed", "dimensions": 384, "similarity": "cosine"},
        {"api_key": API_TOKEN}, {}, {"strategy": "sentence", "max_chunk_size": 120, "sentence_overlap": 1},
    ),
    ExpectedEndpoint(
        "local-chat", "chat_completion", "local", {"model": "HuggingFaceTB/SmolLM2-135M-Instruct"}, {},
        {"max_new_tokens": 64, "temperature": 0.2}, None,
    ),
)  # fmt: skip
KEYS: tuple[dict[str, Any], ...] = (
    {"key_id": "fixtureadminkey00001", "name": "ops", "roles": ["admin"], "endpoints": [],
     "requests_per_minute": None, "tokens_per_minute": None, "expires_at": None, "revoked_at": None},
    {"key_id": "fixturesearchkey0002", "name": "search-app", "roles": ["infer"], "endpoints": ["remote-*"],
     "requests_per_minute": 600, "tokens_per_minute": 90000, "expires_at": datetime(2027, 3, 1, tzinfo=UTC),
     "revoked_at": None},
    {"key_id": "fixtureoldkey0000003", "name": "retired", "roles": ["monitor"], "endpoints": [],
     "requests_per_minute": None, "tokens_per_minute": None, "expires_at": None,
     "revoked_at": datetime(2026, 3, 2, tzinfo=UTC)},
)  # fmt: skip
USAGE = (
    UsageRow(hour=HOUR, key_id="fixturesearchkey0002", inference_id="remote-emb", task_type="text_embedding",
             status=200, requests=41, input_tokens=5120, output_tokens=0, latency_ms_sum=812.5, latency_ms_max=77.25),
    UsageRow(hour=HOUR, key_id="fixturesearchkey0002", inference_id="remote-emb", task_type="text_embedding",
             status=502, requests=2, input_tokens=0, output_tokens=0, latency_ms_sum=30.0, latency_ms_max=20.0),
    UsageRow(hour=HOUR, key_id="fixtureadminkey00001", inference_id="local-chat", task_type="chat_completion",
             status=200, requests=3, input_tokens=90, output_tokens=150, latency_ms_sum=2400.0, latency_ms_max=1000.0),
)  # fmt: skip


def names() -> list[str]:
    """Every migration this code knows, oldest first."""
    return [name for name, _ in MIGRATIONS]


def fixture_settings(data_dir: Path, *, database_url: str | None = None) -> Settings:
    """Settings that open a fixture: its secret key, no default endpoints, no models loaded."""
    return Settings(
        data_dir=data_dir, database_url=database_url, secret_key=SecretStr(FIXTURE_SECRET_KEY),
        provision_defaults=False, preload_models=False, log_format="text",
    )  # fmt: skip


def fill(engine: Engine, *, through: str) -> None:
    """Migrate ``engine`` up to ``through`` and insert the rows its tables can hold."""
    migrate(engine, through=through)
    schema = set(names()[: names().index(through) + 1])
    box = SecretBox(FIXTURE_SECRET_KEY.encode())
    with engine.begin() as conn:
        _endpoints(conn, box)
        if "0002_create_provisioned_defaults" in schema:
            conn.execute(insert(_PROVISIONED).values(inference_id=".retired-default", provisioned_at=CREATED))
        if "0010_create_fleet_settings" in schema:
            conn.execute(insert(_FLEET).values(name=FINGERPRINT, value=box.fingerprint, recorded_at=CREATED))
        if "0011_create_api_keys" in schema:
            _keys(conn)
        if "0012_create_usage_hourly" in schema:
            conn.execute(insert(_USAGE), [_usage_values(row) for row in USAGE])


def _endpoints(conn: Connection, box: SecretBox) -> None:
    for item in ENDPOINTS:
        conn.execute(
            insert(_ENDPOINTS).values(
                inference_id=item.inference_id, task_type=item.task_type, service=item.service,
                service_settings=json.dumps(item.service_settings), task_settings=json.dumps(item.task_settings),
                chunking_settings=None if item.chunking_settings is None else json.dumps(item.chunking_settings),
                secrets=box.encrypt(item.secrets), version=1, created_at=CREATED, updated_at=CREATED,
            )
        )  # fmt: skip


def _keys(conn: Connection) -> None:
    for key in KEYS:
        values = {**key, "roles": json.dumps(key["roles"]), "endpoints": json.dumps(key["endpoints"])}
        conn.execute(insert(_KEYS).values(**values, secret_hash=KEY_HASH, created_at=CREATED))


def _usage_values(row: UsageRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in UsageRow.__dataclass_fields__}


def check_intact(engine: Engine, *, through: str) -> None:
    """Read every row ``fill(through=…)`` inserted back through the stores, as the code reads them now."""
    schema = names()[: names().index(through) + 1]
    box = SecretBox(FIXTURE_SECRET_KEY.encode())
    found = EndpointStore(engine, box).list()
    assert [_as_expected(endpoint) for endpoint in found] == sorted(ENDPOINTS, key=lambda e: e.inference_id)
    assert all(_aware(e.created_at) == CREATED and _aware(e.updated_at) == CREATED for e in found)
    keys = KeyStore(engine).list()
    expected_keys = sorted(KEYS, key=lambda k: str(k["key_id"]))  # all created at once: listed by id
    if "0011_create_api_keys" not in schema:
        assert keys == []
        return
    assert [(k.key_id, k.name, list(k.roles), list(k.endpoints)) for k in keys] == [
        (k["key_id"], k["name"], k["roles"], k["endpoints"]) for k in expected_keys
    ]
    for key, expected in zip(keys, expected_keys, strict=True):
        assert (key.requests_per_minute, key.tokens_per_minute) == (
            expected["requests_per_minute"], expected["tokens_per_minute"],
        )  # fmt: skip
        assert (key.created_at, key.expires_at, key.revoked_at) == (
            CREATED, expected["expires_at"], expected["revoked_at"],
        )  # fmt: skip
        assert key.secret_hash == KEY_HASH
        assert verify(KEY_SECRET, key.secret_hash)
    if "0012_create_usage_hourly" in schema:
        assert UsageStore(engine).query() == sorted(USAGE, key=lambda r: (r.key_id, r.inference_id, r.status))


def _as_expected(endpoint: Any) -> ExpectedEndpoint:
    return ExpectedEndpoint(
        endpoint.inference_id, endpoint.task_type.value, endpoint.service, endpoint.service_settings,
        endpoint.secrets, endpoint.task_settings, endpoint.chunking_settings,
    )  # fmt: skip


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def sqlite_fixture(name: str) -> Path:
    return FIXTURES / f"{name}.sqlite"


def postgres_fixture(name: str) -> Path:
    return FIXTURES / f"{name}.sql"


def make_sqlite(through: str, target: Path) -> None:
    """The SQLite registry after ``through``, with rows, as one self-contained file (no WAL beside it)."""
    work = target.with_suffix(".work")
    shutil.rmtree(work, ignore_errors=True)
    engine = make_engine(fixture_settings(work))
    try:
        fill(engine, through=through)
    finally:
        engine.dispose()
    plain = create_engine(f"sqlite:///{work / 'hfgate.db'}")
    with plain.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
        conn.exec_driver_sql("VACUUM")
    plain.dispose()
    shutil.move(work / "hfgate.db", target)
    shutil.rmtree(work)


def make_postgres_dump(through: str, target: Path) -> None:
    """``pg_dump`` (plain SQL) of a fresh PostgreSQL database after ``through``, with rows."""
    from tests.support.postgres import fresh_database

    with fresh_database() as url:
        engine = create_engine(url)
        try:
            fill(engine, through=through)
        finally:
            engine.dispose()
        dump(url, target)


def dump(url: str, target: Path) -> None:
    """``pg_dump --no-owner --no-privileges`` of ``url`` to ``target`` (what docs/upgrades.md tells users)."""
    plain_url = url.replace("postgresql+psycopg://", "postgresql://")
    subprocess.run(
        ["pg_dump", "--no-owner", "--no-privileges", "--file", str(target), plain_url], check=True, timeout=120
    )


def restore(dump_file: Path, url: str) -> None:
    """Load a plain ``pg_dump`` into the (empty) database at ``url`` with ``psql``, stopping at the first error."""
    plain_url = url.replace("postgresql+psycopg://", "postgresql://")
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", plain_url, "-f", str(dump_file)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def schema_version(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT name FROM schema_migrations ORDER BY name")).scalars())


def main(argv: list[str]) -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name in names():
        if "--all" in argv or not sqlite_fixture(name).exists():
            sqlite_fixture(name).unlink(missing_ok=True)
            make_sqlite(name, sqlite_fixture(name))
            print(f"made {sqlite_fixture(name)}")
        if "--all" in argv or not postgres_fixture(name).exists():
            make_postgres_dump(name, postgres_fixture(name))
            print(f"made {postgres_fixture(name)}")


if __name__ == "__main__":
    main(sys.argv[1:])
