"""The registry's tables as the code reads and writes them (the latest migration's shape)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Float, Integer, MetaData, String, Table, Text

metadata = MetaData()

endpoints = Table(
    "endpoints",
    metadata,
    Column("inference_id", String(255), primary_key=True),
    Column("task_type", String(32), nullable=False),
    Column("service", String(64), nullable=False),
    Column("service_settings", Text, nullable=False),
    Column("task_settings", Text, nullable=False),
    Column("chunking_settings", Text, nullable=True),
    Column("secrets", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

provisioned_defaults = Table(
    "provisioned_defaults",
    metadata,
    Column("inference_id", String(255), primary_key=True),
    Column("provisioned_at", DateTime(timezone=True), nullable=False),
)

fleet_settings = Table(
    "fleet_settings",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("value", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("secret_hash", String(255), nullable=False),
    Column("roles", Text, nullable=False),
    Column("endpoints", Text, nullable=False),
    Column("requests_per_minute", Integer, nullable=True),
    Column("tokens_per_minute", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("day_budget", BigInteger, nullable=True),
    Column("month_budget", BigInteger, nullable=True),
    Column("metadata", Text, nullable=True),
)

usage_hourly = Table(
    "usage_hourly",
    metadata,
    Column("hour", DateTime(timezone=True), primary_key=True),
    Column("key_id", String(64), primary_key=True),
    Column("inference_id", String(255), primary_key=True),
    Column("task_type", String(32), primary_key=True),
    Column("status", Integer, primary_key=True),
    Column("requests", BigInteger, nullable=False),
    Column("input_tokens", BigInteger, nullable=False),
    Column("output_tokens", BigInteger, nullable=False),
    Column("latency_ms_sum", Float, nullable=False),
    Column("latency_ms_max", Float, nullable=False),
    Column("cached_texts", BigInteger, nullable=False, server_default="0"),
    Column("cost_micros", BigInteger, nullable=False, server_default="0"),
)

responses = Table(
    "responses",
    metadata,
    Column("response_id", String(64), primary_key=True),
    Column("key_id", String(64), nullable=False),
    Column("inference_id", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("body", Text, nullable=False),
)

files = Table(
    "files",
    metadata,
    Column("file_id", String(64), primary_key=True),
    Column("key_id", String(64), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("filename", String(1024), nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),  # Unix seconds, as OpenAI's objects give them
    Column("expires_at", BigInteger, nullable=True),
)

batches = Table(
    "batches",
    metadata,
    Column("batch_id", String(64), primary_key=True),
    Column("key_id", String(64), nullable=False),
    Column("endpoint", String(255), nullable=False),
    Column("input_file_id", String(64), nullable=False),
    Column("completion_window", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("metadata", Text, nullable=True),
    Column("errors", Text, nullable=True),
    Column("output_file_id", String(64), nullable=True),
    Column("error_file_id", String(64), nullable=True),
    Column("claimed_by", String(64), nullable=True),  # the replica finalizing it, until lease_until
    Column("lease_until", BigInteger, nullable=True),
    Column("times", Text, nullable=False),  # {"in_progress_at": ..., ...}: each status's Unix second
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("output_expires_after", BigInteger, nullable=True),  # seconds: the output and error files' expiry
)

batch_lines = Table(
    "batch_lines",
    metadata,
    Column("batch_id", String(64), primary_key=True),
    Column("line", Integer, primary_key=True),  # the input file's line number, from 1
    Column("custom_id", String(1024), nullable=False),
    Column("body", Text, nullable=False),
    Column("claimed_by", String(64), nullable=True),
    Column("lease_until", BigInteger, nullable=True),
    Column("ok", Boolean, nullable=True),
    Column("result", Text, nullable=True),  # the output or error line, written once
    Column("input_tokens", BigInteger, nullable=True),  # the answer's usage, summed into the batch's
    Column("output_tokens", BigInteger, nullable=True),
)

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)
