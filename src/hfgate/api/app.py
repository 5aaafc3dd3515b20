"""The FastAPI application factory."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from hfgate import __version__
from hfgate.api.declared import FACE_ROUTES, PAGES, plain_routes
from hfgate.api.error_handlers import install_error_handlers
from hfgate.api.gateway import BodyLimit, Gateway, GatewayKeys, HostNames
from hfgate.api.openai import responses_socket as openai_socket
from hfgate.api.openapi import install_openapi
from hfgate.api.route_roles import GUARD, guard_routes
from hfgate.api.ui.session import SessionSigner
from hfgate.config import Settings
from hfgate.process import drain, serve
from hfgate.process.collector import few_collections
from hfgate.process.runtime import Runtime
from hfgate.services import ServiceContext
from hfgate.telemetry.exposition import worker_stopped
from hfgate.telemetry.logs import configure_logging
from hfgate.telemetry.tracing import start_tracing, stop_tracing

# hfgate traces requests itself (telemetry/tracing.py). FastAPI's own OpenTelemetry (0.16x) would add a
# second server span per request under a global provider, and reads the environment per request when off.
_FASTAPI_OPTIONS: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


def create_app(settings: Settings | None = None, *, context: ServiceContext | None = None) -> FastAPI:
    """The hfgate app: migrates the database and provisions defaults at start-up.

    Args:
        settings: the configuration; by default read from ``HFGATE_*`` environment variables.
        context: loaded models and compute thread to share between apps in one process.

    Example:
        >>> app = create_app(Settings(data_dir=Path("/tmp/hfgate")))
        >>> # uvicorn.run(app, host="127.0.0.1", port=8080)
    """
    settings = settings or Settings()
    configure_logging(settings)
    serve.apply(settings)  # a worker process's slow-loris deadline

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        start_tracing()
        runtime = await Runtime.start(settings, context=context)
        app.state.runtime = runtime
        app.state.orchestrator = runtime.orchestrator
        app.state.access = runtime.access
        app.state.responses = runtime.responses
        app.state.files, app.state.batches = runtime.files, runtime.batches
        if settings.batch_runner:
            runtime.run_batches(app)  # each batch line goes through this app, as a request of the batch's key
        access = runtime.access
        app.state.sessions = SessionSigner(access.session_key, previous=access.previous_session_key)
        try:
            # SIGTERM drains first (hfgate.process.drain); start-up's objects out of the collector's sight while serving
            draining = drain.on_signals(delay=settings.drain_delay_seconds, seconds=settings.drain_seconds)
            with draining, few_collections():
                yield
        finally:
            await runtime.aclose()
            worker_stopped()
            stop_tracing()

    app = FastAPI(title="hfgate", version=__version__, lifespan=lifespan, **_FASTAPI_OPTIONS)
    app.state.settings = settings
    # every API route, declared once (api/declared.py): the plain inference routes first, then FastAPI's;
    # then the web page's
    app.router.routes.extend(plain_routes())
    for router in (*(face.router for face in FACE_ROUTES), *(pages.router for pages in PAGES)):
        app.include_router(router, dependencies=[GUARD])
    guard_routes(app.routes)  # the plain routes' role check (FastAPI's routes have GUARD)
    app.include_router(openai_socket.router)  # each message is checked as its POST /v1/responses
    install_error_handlers(app)
    install_openapi(app)
    metrics_key = settings.metrics_key.get_secret_value() if settings.metrics_key else None
    app.add_middleware(
        Gateway,
        hosts=HostNames(hosts=settings.host_endpoints, domain=settings.endpoint_domain),
        keys=GatewayKeys(metrics_key=metrics_key),
        body=BodyLimit(
            max_bytes=settings.max_body_bytes,
            seconds=settings.body_timeout_seconds,
            upload_bytes=settings.max_upload_bytes,
            file_bytes=settings.batch_file_max_bytes,
        ),
    )
    return app
