"""What a running hfgate holds: the database, the registry, the services and the orchestrator."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from starlette.types import ASGIApp

from hfgate.access.control import AccessControl
from hfgate.batches.blobs import byte_store
from hfgate.batches.calls import AppCalls
from hfgate.batches.claims import LineClaims
from hfgate.batches.files import FileStore
from hfgate.batches.runner import BatchRunner
from hfgate.batches.store import BatchStore
from hfgate.config import Settings
from hfgate.embed_cache import EmbedCache, build_cache
from hfgate.errors import HfGateError
from hfgate.fleet.changes import LocalChanges, PostgresChanges
from hfgate.fleet.redis_changes import RedisChanges
from hfgate.local.cache import Compute, ModelCache
from hfgate.local.hub.downloads import HubDownloads
from hfgate.orchestrator import Orchestrator
from hfgate.orchestrator.running import Deadlines
from hfgate.process import drain
from hfgate.ratelimit.limiter import Limiter
from hfgate.ratelimit.pacing import RateLimiters
from hfgate.ratelimit.redis_pacing import RedisLimiter
from hfgate.registry.database import make_engine
from hfgate.registry.defaults import DEFAULT_ENDPOINTS, provision_defaults
from hfgate.registry.key_check import KeyState, check_secret_key
from hfgate.registry.migrations import migrate
from hfgate.registry.responses_store import ResponseStore
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
    changes: LocalChanges
    access: AccessControl
    responses: ResponseStore
    files: FileStore
    batches: BatchStore
    embed_cache: EmbedCache | None = None
    batch_runner: BatchRunner | None = None
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
        try:
            applied = await asyncio.to_thread(migrate, engine)
        except BaseException:  # a database too new, or unreachable: nothing of the runtime to keep open
            engine.dispose()
            raise
        if applied:
            log.info("database migrated", extra={"event": "db.migrate", "migrations": applied})
        box = SecretBox.from_settings(settings)
        _log_key_state(await asyncio.to_thread(check_secret_key, engine, box), box)
        store = EndpointStore(engine, box)
        if settings.provision_defaults:
            await asyncio.to_thread(provision_defaults, store)
        shared = context or new_context(settings)
        services = {name: service(shared) for name, service in SERVICES.items()}
        changes = change_feed(settings)
        embed_cache = build_cache(settings)
        orchestrator = Orchestrator(
            store=store,
            services=services,
            cache_seconds=settings.registry_cache_seconds,
            changes=changes,
            embed_cache=embed_cache,
            deadlines=Deadlines.from_settings(settings),
        )
        redis = shared.limiters.client if isinstance(shared.limiters, RedisLimiter) else None
        access = AccessControl.build(
            settings, engine=engine, changes=changes, redis=redis, session_key=box.derive("ui-session"),
            previous_session_key=box.derive_previous("ui-session"),
        )  # fmt: skip
        await changes.start()
        await access.start()
        runtime = cls(
            settings,
            engine,
            store,
            shared,
            services,
            orchestrator,
            changes,
            access,
            ResponseStore(engine),
            FileStore(engine, byte_store(settings)),
            BatchStore(engine),
            embed_cache=embed_cache,
            owns_context=context is None,
        )
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

    def run_batches(self, app: ASGIApp) -> None:
        """Start this replica's batch runner: it sends each line through ``app`` (hfgate.batches.runner)."""
        claims = LineClaims(self.engine, owner=BatchRunner.owner(), lease_seconds=self.settings.batch_lease_seconds)
        self.batch_runner = BatchRunner(claims=claims, files=self.files, calls=AppCalls(app), settings=self.settings,
                                        draining=lambda: drain.PROCESS.draining)  # fmt: skip
        self.batch_runner.start()

    async def aclose(self) -> None:
        if self.batch_runner is not None:
            await self.batch_runner.aclose()  # before the services: its lines in flight need them
        if self.preloading is not None:
            self.preloading.cancel()
        await self.access.aclose()  # writes the usage not yet written
        await self.changes.aclose()
        for service in self.services.values():
            await service.aclose()
        if self.embed_cache is not None:
            await self.embed_cache.aclose()
        if self.owns_context:
            if isinstance(self.context.limiters, RedisLimiter):
                await self.context.limiters.aclose()
            self.context.close()
        self.engine.dispose()


def new_context(settings: Settings) -> ServiceContext:
    """A model cache within the memory budget, the compute thread, and the rate limiters."""
    return ServiceContext(
        settings=settings,
        resources=(ModelCache(budget_bytes=settings.local_memory_mb * 1024 * 1024), Compute(), HubDownloads()),
        limiters=rate_limiters(settings),
    )


def rate_limiters(settings: Settings) -> Limiter:
    """Fleet-wide limits over Redis when ``HFGATE_REDIS_URL`` is set, else this process's share of them."""
    local = RateLimiters(share=1 / settings.replicas)
    if settings.redis_url is None:
        return local
    return RedisLimiter.from_url(
        settings.redis_url,
        fallback=local,
        policy=settings.redis_failure_policy,
        prefix=f"{settings.redis_prefix}limit:",
    )


def change_feed(settings: Settings) -> LocalChanges:
    """How replicas tell each other what changed: PostgreSQL LISTEN/NOTIFY, else Redis pub/sub, else nobody."""
    url = settings.database_url_resolved
    if url.startswith("postgresql"):
        return PostgresChanges(url)
    if settings.redis_url is not None:
        return RedisChanges(settings.redis_url, channel=f"{settings.redis_prefix}changes")
    return LocalChanges()


def _log_key_state(state: KeyState, box: SecretBox) -> None:
    fingerprints = {"fingerprint": box.fingerprint, "previous_fingerprint": box.previous_fingerprint}
    if state is KeyState.RECORDED:
        log.info("secret key recorded", extra={"event": "db.secret_key", **fingerprints})
    elif state is KeyState.ROTATING:
        log.warning(
            "secret key rotation under way: the database still records HFGATE_SECRET_KEY_PREVIOUS; secrets are "
            "read with either key and written with HFGATE_SECRET_KEY; run hfgate secret-key rotate",
            extra={"event": "db.secret_key.rotating", **fingerprints},
        )
    elif state is KeyState.PREPARING:
        log.info(
            "secret key rotation prepared: the database records HFGATE_SECRET_KEY; HFGATE_SECRET_KEY_PREVIOUS is "
            "read too (never written), so secrets written by replicas already on it can be read here",
            extra={"event": "db.secret_key.preparing", **fingerprints},
        )
    elif state is KeyState.ROTATED:
        log.warning(
            "secret key rotated: the database records HFGATE_SECRET_KEY; HFGATE_SECRET_KEY_PREVIOUS is no longer "
            "needed, drop it with a rolling restart",
            extra={"event": "db.secret_key.rotated", **fingerprints},
        )
