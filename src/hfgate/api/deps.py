"""Typed FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hfgate.access.control import AccessControl
from hfgate.config import Settings
from hfgate.orchestrator import Orchestrator


async def get_orchestrator(request: Request) -> Orchestrator:
    orchestrator: Orchestrator = request.app.state.orchestrator
    return orchestrator


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


OrchestratorDep = Annotated[Orchestrator, Depends(get_orchestrator)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_access(request: Request) -> AccessControl:
    access: AccessControl = request.app.state.access
    return access


AccessDep = Annotated[AccessControl, Depends(get_access)]
