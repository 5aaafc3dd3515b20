"""``GET /health`` (liveness: the process answers) and ``GET /ready`` (readiness: the database answers,
the default endpoints' models are loaded and the replica is not draining), both open even when gateway
keys are required."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from hfgate.access.principal import OPEN
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep, SettingsDep
from hfgate.api.faces import OTHER
from hfgate.orchestrator.readiness import model_states
from hfgate.process import drain

ROUTES = FaceRoutes(OTHER, tag="health", error=None)


@ROUTES.get("/health", role=OPEN, answer=dict[str, str])
async def health() -> dict[str, str]:
    return {"status": "ok"}


@ROUTES.get("/ready", role=OPEN, answer=dict[str, Any])
async def ready(orch: OrchestratorDep, settings: SettingsDep) -> dict[str, Any] | JSONResponse:
    """200 when this process can serve; 503 listing what it lacks (for an orchestrator's readiness probe).

    The default endpoints' models count only with ``HFGATE_PRELOAD_MODELS`` (``hfgate serve`` sets it): without it
    they load at their first request. A default endpoint the user deleted is not needed. From SIGTERM on
    (:mod:`hfgate.process.drain`) it answers 503 ``{"status": "draining"}``, while ``/health`` stays 200.
    ``models`` lists the endpoints whose Hub model is still downloading or loading, or failed to: their
    calls answer 503 meanwhile, the replica stays ready for the others.
    """
    if drain.PROCESS.draining:  # SIGTERM: out of the load balancer's rotation at once
        return JSONResponse({"status": "draining"}, status_code=503)
    missing = await orch.readiness(models=settings.preload_models)
    if missing:
        return JSONResponse({"status": "not ready", "missing": missing}, status_code=503)
    coming = await model_states(orch.store, orch.services)
    return {"status": "ready"} | ({"models": coming} if coming else {})
