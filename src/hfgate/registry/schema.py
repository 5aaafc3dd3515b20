"""The registry's tables as the code reads and writes them (the latest migration's shape)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text

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

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)
