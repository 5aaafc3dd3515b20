"""The endpoint store: create, read, list, update and delete endpoints in the database.

Settings are stored as JSON, secrets as one encrypted token per endpoint. All methods are synchronous
(SQLAlchemy Core); the orchestrator runs them in worker threads.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, Row, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from hfgate.errors import AlreadyExistsError, EndpointNotFoundError
from hfgate.registry.database import writing
from hfgate.registry.endpoint import Endpoint, utcnow
from hfgate.registry.failures import translated
from hfgate.registry.schema import endpoints, provisioned_defaults
from hfgate.registry.secrets import SecretBox
from hfgate.tasks import TaskType


class EndpointStore:
    """Persistent endpoints.

    Args:
        engine: from :func:`hfgate.registry.database.make_engine`, already migrated.
        box: encrypts the secret settings.
    """

    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self._engine = engine
        self._writer = writing(engine)
        self._box = box

    def create(self, endpoint: Endpoint) -> None:
        """Store a new endpoint.

        Raises:
            AlreadyExistsError: the id is taken (also when another replica won a concurrent create).
        """
        try:
            with translated(), self._writer.begin() as conn:
                conn.execute(insert(endpoints).values(**self._row(endpoint), version=1))
        except IntegrityError as exc:
            raise AlreadyExistsError(endpoint.inference_id) from exc

    def get(self, inference_id: str) -> Endpoint:
        """The endpoint named ``inference_id``.

        Raises:
            EndpointNotFoundError: no such endpoint.
        """
        with translated(), self._engine.connect() as conn:
            row = conn.execute(select(endpoints).where(endpoints.c.inference_id == inference_id)).first()
        if row is None:
            raise EndpointNotFoundError(inference_id)
        return self._endpoint(row)

    def exists(self, inference_id: str) -> bool:
        with translated(), self._engine.connect() as conn:
            query = select(exists().where(endpoints.c.inference_id == inference_id))
            return bool(conn.execute(query).scalar())

    def list(self, task_type: TaskType | None = None) -> list[Endpoint]:
        """Every endpoint, or those of one task type, ordered by id."""
        query = select(endpoints).order_by(endpoints.c.inference_id)
        if task_type is not None:
            query = query.where(endpoints.c.task_type == task_type.value)
        with translated(), self._engine.connect() as conn:
            return [self._endpoint(row) for row in conn.execute(query)]

    def replace(self, endpoint: Endpoint) -> None:
        """Overwrite a stored endpoint's settings and secrets.

        Raises:
            EndpointNotFoundError: it was deleted meanwhile.
        """
        row = self._row(endpoint)
        del row["created_at"]
        with translated(), self._writer.begin() as conn:
            query = (
                update(endpoints)
                .where(endpoints.c.inference_id == endpoint.inference_id)
                .values(**row, version=endpoints.c.version + 1)
            )
            if conn.execute(query).rowcount == 0:
                raise EndpointNotFoundError(endpoint.inference_id)

    def delete(self, inference_id: str) -> None:
        """Remove an endpoint.

        Raises:
            EndpointNotFoundError: no such endpoint.
        """
        with translated(), self._writer.begin() as conn:
            query = delete(endpoints).where(endpoints.c.inference_id == inference_id)
            if conn.execute(query).rowcount == 0:
                raise EndpointNotFoundError(inference_id)

    def provision(self, endpoint: Endpoint) -> bool:
        """Create a default endpoint unless this database ever had it; True when created now.

        The marker and the endpoint are written in one transaction, so a crash leaves neither or both.
        """
        marker = insert(provisioned_defaults).values(inference_id=endpoint.inference_id, provisioned_at=utcnow())
        try:
            with self._writer.begin() as conn:
                conn.execute(marker)
                taken = select(exists().where(endpoints.c.inference_id == endpoint.inference_id))
                if conn.execute(taken).scalar():
                    return False
                conn.execute(insert(endpoints).values(**self._row(endpoint), version=1))
        except IntegrityError:
            return False
        return True

    def _row(self, endpoint: Endpoint) -> dict[str, Any]:
        return {
            "inference_id": endpoint.inference_id,
            "task_type": endpoint.task_type.value,
            "service": endpoint.service,
            "service_settings": json.dumps(endpoint.service_settings),
            "task_settings": json.dumps(endpoint.task_settings),
            "chunking_settings": _dump_optional(endpoint.chunking_settings),
            "secrets": self._box.encrypt(endpoint.secrets),
            "created_at": endpoint.created_at,
            "updated_at": endpoint.updated_at,
        }

    def _endpoint(self, row: Row[Any]) -> Endpoint:
        return Endpoint(
            inference_id=row.inference_id,
            task_type=TaskType(row.task_type),
            service=row.service,
            service_settings=json.loads(row.service_settings),
            secrets=self._box.decrypt(row.secrets),
            task_settings=json.loads(row.task_settings),
            chunking_settings=None if row.chunking_settings is None else json.loads(row.chunking_settings),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def _dump_optional(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value)
