"""Ordered, named schema migrations, each recorded in ``schema_migrations`` once applied.

Add a migration by appending a function to ``MIGRATIONS``; never edit one that has shipped. Each runs in
its own transaction; on PostgreSQL an advisory lock keeps replicas that start together from racing. A
database that records a migration this code does not know was upgraded by a newer hfgate: it is refused
(:class:`~hfgate.errors.SchemaTooNewError`) before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, insert, select, text

from hfgate.errors import SchemaTooNewError
from hfgate.registry.database import writing
from hfgate.registry.endpoint import utcnow
from hfgate.registry.schema import schema_migrations

_LOCK_ID = 0x68666761  # "hfga"


def _0001_create_endpoints(conn: Connection) -> None:
    conn.execute(
        text(
            "CREATE TABLE endpoints ("
            " inference_id VARCHAR(255) PRIMARY KEY,"
            " task_type VARCHAR(32) NOT NULL,"
            " service VARCHAR(64) NOT NULL,"
            " service_settings TEXT NOT NULL,"
            " task_settings TEXT NOT NULL,"
            " chunking_settings TEXT,"
            " secrets TEXT NOT NULL,"
            " version INTEGER NOT NULL,"
            " created_at TIMESTAMP WITH TIME ZONE NOT NULL,"
            " updated_at TIMESTAMP WITH TIME ZONE NOT NULL)"
        )
    )
    conn.execute(text("CREATE INDEX ix_endpoints_task_type ON endpoints (task_type)"))


def _0002_create_provisioned_defaults(conn: Connection) -> None:
    conn.execute(
        text(
            "CREATE TABLE provisioned_defaults ("
            " inference_id VARCHAR(255) PRIMARY KEY,"
            " provisioned_at TIMESTAMP WITH TIME ZONE NOT NULL)"
        )
    )


def _0010_create_fleet_settings(conn: Connection) -> None:
    conn.execute(
        text(
            "CREATE TABLE fleet_settings ("
            " name VARCHAR(255) PRIMARY KEY,"
            " value TEXT NOT NULL,"
            " recorded_at TIMESTAMP WITH TIME ZONE NOT NULL)"
        )
    )


def _0011_create_api_keys(conn: Connection) -> None:
    conn.execute(
        text(
            "CREATE TABLE api_keys ("
            " key_id VARCHAR(64) PRIMARY KEY,"
            " name VARCHAR(255) NOT NULL,"
            " secret_hash VARCHAR(255) NOT NULL,"
            " roles TEXT NOT NULL,"
            " endpoints TEXT NOT NULL,"
            " requests_per_minute INTEGER,"
            " tokens_per_minute INTEGER,"
            " created_at TIMESTAMP WITH TIME ZONE NOT NULL,"
            " expires_at TIMESTAMP WITH TIME ZONE,"
            " revoked_at TIMESTAMP WITH TIME ZONE)"
        )
    )
    conn.execute(text("CREATE INDEX ix_api_keys_name ON api_keys (name)"))


def _0012_create_usage_hourly(conn: Connection) -> None:
    conn.execute(
        text(
            "CREATE TABLE usage_hourly ("
            " hour TIMESTAMP WITH TIME ZONE NOT NULL,"
            " key_id VARCHAR(64) NOT NULL,"
            " inference_id VARCHAR(255) NOT NULL,"
            " task_type VARCHAR(32) NOT NULL,"
            " status INTEGER NOT NULL,"
            " requests BIGINT NOT NULL,"
            " input_tokens BIGINT NOT NULL,"
            " output_tokens BIGINT NOT NULL,"
            " latency_ms_sum DOUBLE PRECISION NOT NULL,"
            " latency_ms_max DOUBLE PRECISION NOT NULL,"
            " PRIMARY KEY (hour, key_id, inference_id, task_type, status))"
        )
    )
    conn.execute(text("CREATE INDEX ix_usage_hourly_key ON usage_hourly (key_id, hour)"))
    conn.execute(text("CREATE INDEX ix_usage_hourly_endpoint ON usage_hourly (inference_id, hour)"))


def _0013_create_responses(conn: Connection) -> None:
    conn.execute(
        text(
            "CREATE TABLE responses ("
            " response_id VARCHAR(64) PRIMARY KEY,"
            " key_id VARCHAR(64) NOT NULL,"
            " inference_id VARCHAR(255) NOT NULL,"
            " created_at TIMESTAMP WITH TIME ZONE NOT NULL,"
            " expires_at TIMESTAMP WITH TIME ZONE NOT NULL,"
            " size_bytes INTEGER NOT NULL,"
            " body TEXT NOT NULL)"
        )
    )
    conn.execute(text("CREATE INDEX ix_responses_key ON responses (key_id, created_at)"))
    conn.execute(text("CREATE INDEX ix_responses_expires ON responses (expires_at)"))


def _0014_usage_cached_texts(conn: Connection) -> None:
    """Texts the embedding cache answered, counted apart from the tokens sent upstream."""
    conn.execute(text("ALTER TABLE usage_hourly ADD COLUMN cached_texts BIGINT NOT NULL DEFAULT 0"))


def _0015_usage_cost(conn: Connection) -> None:
    """What the calls cost at their endpoint's price, in micro-dollars (whole; no float sums of money)."""
    conn.execute(text("ALTER TABLE usage_hourly ADD COLUMN cost_micros BIGINT NOT NULL DEFAULT 0"))


def _0016_api_key_budgets(conn: Connection) -> None:
    """A key's spend limits per UTC day and month, in micro-dollars (``limits.usd_per_day``, ``usd_per_month``)."""
    conn.execute(text("ALTER TABLE api_keys ADD COLUMN day_budget BIGINT"))
    conn.execute(text("ALTER TABLE api_keys ADD COLUMN month_budget BIGINT"))


def _0017_api_key_metadata(conn: Connection) -> None:
    """A key's ``metadata``, Elasticsearch's free-form object (JSON text; NULL: none), shown and queried."""
    conn.execute(text("ALTER TABLE api_keys ADD COLUMN metadata TEXT"))


def _0018_create_files_and_batches(conn: Connection) -> None:
    """OpenAI's Files and Batches: a file's metadata (its bytes are in the file store), a batch, and a row per
    input line holding its claim (owner and lease) and its result, written once."""
    conn.execute(
        text(
            "CREATE TABLE files ("
            " file_id VARCHAR(64) PRIMARY KEY,"
            " key_id VARCHAR(64) NOT NULL,"
            " purpose VARCHAR(32) NOT NULL,"
            " filename VARCHAR(1024) NOT NULL,"
            " bytes BIGINT NOT NULL,"
            " created_at BIGINT NOT NULL,"
            " expires_at BIGINT)"
        )
    )
    conn.execute(text("CREATE INDEX ix_files_key ON files (key_id, created_at)"))
    conn.execute(
        text(
            "CREATE TABLE batches ("
            " batch_id VARCHAR(64) PRIMARY KEY,"
            " key_id VARCHAR(64) NOT NULL,"
            " endpoint VARCHAR(255) NOT NULL,"
            " input_file_id VARCHAR(64) NOT NULL,"
            " completion_window VARCHAR(16) NOT NULL,"
            " status VARCHAR(16) NOT NULL,"
            " metadata TEXT,"
            " errors TEXT,"
            " output_file_id VARCHAR(64),"
            " error_file_id VARCHAR(64),"
            " claimed_by VARCHAR(64),"
            " lease_until BIGINT,"
            " times TEXT NOT NULL,"
            " created_at BIGINT NOT NULL,"
            " expires_at BIGINT NOT NULL)"
        )
    )
    conn.execute(text("CREATE INDEX ix_batches_key ON batches (key_id, created_at)"))
    conn.execute(text("CREATE INDEX ix_batches_status ON batches (status)"))
    conn.execute(
        text(
            "CREATE TABLE batch_lines ("
            " batch_id VARCHAR(64) NOT NULL,"
            " line INTEGER NOT NULL,"
            " custom_id VARCHAR(1024) NOT NULL,"
            " body TEXT NOT NULL,"
            " claimed_by VARCHAR(64),"
            " lease_until BIGINT,"
            " ok BOOLEAN,"
            " result TEXT,"
            " input_tokens BIGINT,"
            " output_tokens BIGINT,"
            " PRIMARY KEY (batch_id, line))"
        )
    )


def _0019_batch_output_expiry(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE batches ADD COLUMN output_expires_after BIGINT"))


MIGRATIONS: tuple[tuple[str, Callable[[Connection], None]], ...] = (
    ("0001_create_endpoints", _0001_create_endpoints),
    ("0002_create_provisioned_defaults", _0002_create_provisioned_defaults),
    ("0010_create_fleet_settings", _0010_create_fleet_settings),
    ("0011_create_api_keys", _0011_create_api_keys),
    ("0012_create_usage_hourly", _0012_create_usage_hourly),
    ("0013_create_responses", _0013_create_responses),
    ("0014_usage_cached_texts", _0014_usage_cached_texts),
    ("0015_usage_cost", _0015_usage_cost),
    ("0016_api_key_budgets", _0016_api_key_budgets),
    ("0017_api_key_metadata", _0017_api_key_metadata),
    ("0018_create_files_and_batches", _0018_create_files_and_batches),
    ("0019_batch_output_expiry", _0019_batch_output_expiry),
)


def migrate(engine: Engine, *, through: str | None = None) -> list[str]:
    """Apply every migration not yet recorded; returns the names applied now.

    Args:
        engine: the registry's database.
        through: stop after this migration (fixtures of earlier schemas are made this way); default: all.

    Raises:
        SchemaTooNewError: the database records a migration this code does not know.
    """
    engine = writing(engine)
    _ensure_table(engine)
    _refuse_newer(engine)
    applied: list[str] = []
    for name, step in _steps(through):
        with engine.begin() as conn:
            _lock(conn)
            done = conn.execute(select(schema_migrations.c.name).where(schema_migrations.c.name == name))
            if done.first() is not None:
                continue
            step(conn)
            conn.execute(insert(schema_migrations).values(name=name, applied_at=utcnow()))
            applied.append(name)
    return applied


def _steps(through: str | None) -> tuple[tuple[str, Callable[[Connection], None]], ...]:
    names = [name for name, _ in MIGRATIONS]
    if through is None:
        return MIGRATIONS
    if through not in names:
        raise ValueError(f"no migration named [{through}]; known: {', '.join(names)}")
    return MIGRATIONS[: names.index(through) + 1]


def _refuse_newer(engine: Engine) -> None:
    with engine.connect() as conn:
        recorded = set(conn.execute(select(schema_migrations.c.name)).scalars())
    unknown = sorted(recorded - {name for name, _ in MIGRATIONS})
    if unknown:
        newest = MIGRATIONS[-1][0]
        raise SchemaTooNewError(
            f"The registry database was upgraded by a newer hfgate: its newest migration is [{unknown[-1]}], "
            f"this hfgate knows migrations up to [{newest}]. Run the newer hfgate (the release that "
            "applied it), or restore a backup taken before the upgrade (see docs/upgrades.md); "
            "never start an older hfgate on a newer database."
        )


def _ensure_table(engine: Engine) -> None:
    with engine.begin() as conn:
        _lock(conn)
        conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name VARCHAR(255) PRIMARY KEY,"
                " applied_at TIMESTAMP WITH TIME ZONE NOT NULL)"
            )
        )


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
