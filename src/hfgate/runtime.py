"""What a running hfgate holds: the database, the registry, the services and the orchestrator."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy import Engine

from hfgate.config import Settings
from hfgate.errors import HfGateError
from hfgate.local.cache import ModelCache
from hfgate.local.compute import Compute
from hfgate.orchestrator import Orchestrator
from hfgate.registry.database import make_engine
from hfgate.registry.defaults import DEFAULT_ENDPOINTS, provision_defaults
from hfgate.registry.migrations import migrate
from hfgate.registry.secrets import SecretBox
from hfgate.registry.store import EndpointStore
from hfgate.services import SERVICES, Service, ServiceContext

log = logging.getLogger("hfgate")


@dataclass(slots=True)
class Runtime:
    """The live objects of one hfgate process, built at start-up and closed at shutdown."""

    settings: Settings
    engine: Engine
    store: EndpointStore
    context: ServiceContext
    services: dict[str, Service]
    orchestrator: Orchestrator
    owns_context: bool = True
    preloading: asyncio.Task[None] | None = None

    @classmethod
    async def start(cls, settings: Settings, *, context: ServiceContext | None = None) -> Runtime:
        """Open and migrate the database, provision the defaults, start the services.

        Args:
            settings: the configuration.
            context: loaded models and the compute thread to share (several apps in one process,
                as in tests); by default a new one, closed with the runtime.
        """
        engine = make_engine(settings)
        applied = await asyncio.to_thread(migrate, engine)
        if applied:
            log.info("database migrated", extra={"event": "db.migrate", "migrations": applied})
        store = EndpointStore(engine, SecretBox.from_settings(settings))
        if settings.provision_defaults:
            await asyncio.to_thread(provision_defaults, store)
        shared = context or new_context(settings)
        services = {name: service(shared) for name, service in SERVICES.items()}
        orchestrator = Orchestrator(store=store, services=services, cache_seconds=settings.registry_cache_seconds)
        runtime = cls(settings, engine, store, shared, services, orchestrator, owns_context=context is None)
        if settings.preload_models:
            runtime.preloading = asyncio.create_task(runtime.preload())
        return runtime

    async def preload(self) -> None:
        """Load the default endpoints' models, so the first request does not wait for them."""
        for default in DEFAULT_ENDPOINTS:
            try:
                endpoint = await asyncio.to_thread(self.store.get, default.inference_id)
                await self.services[endpoint.service].warm(endpoint)
            except HfGateError as exc:  # a deleted default, a missing package: the request will say so
                log.warning(
                    "preload skipped",
                    extra={"event": "model.preload.skip", "endpoint": default.inference_id, "reason": exc.reason},
                )

    async def aclose(self) -> None:
        if self.preloading is not None:
            self.preloading.cancel()
        for service in self.services.values():
            await service.aclose()
        if self.owns_context:
            self.context.close()
        self.engine.dispose()


def new_context(settings: Settings) -> ServiceContext:
    """A model cache within the memory budget, and the compute thread."""
    return ServiceContext(
        settings=settings,
        resources=(ModelCache(budget_bytes=settings.local_memory_mb * 1024 * 1024), Compute()),
    )
