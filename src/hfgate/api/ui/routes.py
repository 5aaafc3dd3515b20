"""The web page: endpoints table, endpoint settings, add-a-model form, playground, and the login.

Pages are rendered on the server (Jinja2); small scripts served from ``/ui/static`` call the
``_inference`` API itself, so the page runs the same validation and inference as any client. The one
page-only route is the form's create, which reports every check's outcome instead of the first error.

When ``HFGATE_API_KEYS`` is set, ``/ui/login`` exchanges a key for a signed session cookie (see
:mod:`hfgate.api.ui.session`); the key never appears in a URL or in the page.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hfgate.api.body import json_object
from hfgate.api.deps import OrchestratorDep, SettingsDep
from hfgate.api.ui.checks import checks_json, create_with_checks
from hfgate.api.ui.session import COOKIE, CSRF_HEADER, SessionSigner
from hfgate.api.ui.views import (
    FORM_TASK_TYPES,
    SOURCES,
    TASK_LABELS,
    endpoint_row,
    form_plan,
    generation_choices,
)
from hfgate.errors import AuthenticationError, HfGateError
from hfgate.orchestrator import Orchestrator
from hfgate.registry.endpoint import Endpoint
from hfgate.services.generation_settings import GENERATION_TASK_SETTINGS

router = APIRouter(tags=["web page"], include_in_schema=False)

_WEB = files("hfgate") / "web"
_STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Everything the page loads comes from this server; scripts and styles only from files.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("hfgate", "web/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


@cache
def _static_files() -> dict[str, tuple[bytes, str]]:
    """The static files by name, read once; nothing outside this folder can be asked for."""
    found = {}
    for entry in (_WEB / "static").iterdir():
        kind = _STATIC_TYPES.get("." + entry.name.rpartition(".")[2])
        if kind is not None:
            found[entry.name] = (entry.read_bytes(), kind)
    return found


# -- access -----------------------------------------------------------------------------------------


class Access:
    """What a page request may do: whether a login is needed, and the CSRF token for its scripts."""

    def __init__(self, signer: SessionSigner, cookie: str | None) -> None:
        self.login_required = signer.required
        session = signer.read(cookie) if signer.required else None
        self.allowed = not signer.required or session is not None
        self.csrf = session.csrf if session is not None else ""


def _signer(settings: SettingsDep) -> SessionSigner:
    return SessionSigner(settings.api_keys)


SignerDep = Annotated[SessionSigner, Depends(_signer)]


def _access(request: Request, signer: SignerDep) -> Access:
    return Access(signer, request.cookies.get(COOKIE))


AccessDep = Annotated[Access, Depends(_access)]


def _require_api_session(request: Request, signer: SignerDep) -> None:
    """The page-only JSON routes need the session cookie and its CSRF header when keys are set."""
    if signer.required and not signer.allows(request.cookies.get(COOKIE), request.headers.get(CSRF_HEADER)):
        raise AuthenticationError("log in at /ui/login first; this route serves the web page only")


def _to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/ui/login?next={quote(request.url.path)}", status_code=303)


def _page(name: str, access: Access, *, status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates().get_template(name).render(access=access, page=name, **context)
    return HTMLResponse(html, status_code=status, headers=_PAGE_HEADERS)


# -- pages ------------------------------------------------------------------------------------------


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/ui/", status_code=307)


@router.get("/ui")
@router.get("/ui/")
async def endpoints_page(request: Request, access: AccessDep, *, orch: OrchestratorDep) -> Response:
    """Every endpoint, with its settings summary and the outcome of its last call."""
    if not access.allowed:
        return _to_login(request)
    endpoints = sorted(await orch.list(), key=lambda e: e.inference_id)
    kinds = orch.service_kinds()
    rows = [endpoint_row(e, orch.last_calls.get(e.inference_id), kinds=kinds) for e in endpoints]
    return _page("endpoints.html", access, rows=rows, title="Endpoints")


@router.get("/ui/new")
async def new_page(request: Request, access: AccessDep, orch: OrchestratorDep) -> Response:
    """The add-a-model form."""
    if not access.allowed:
        return _to_login(request)
    return _page(
        "new.html",
        access,
        title="Add a model",
        task_types=[(t.value, TASK_LABELS[t]) for t in FORM_TASK_TYPES],
        sources=SOURCES,
        plan_json=_script_json(form_plan(orch.service_kinds())),
        generation_tasks=generation_choices(orch.service_kinds()),
        suggestions=orch.suggested_models(),
    )


async def _endpoint_or_page(
    inference_id: str, request: Request, *, access: Access, orch: Orchestrator
) -> Endpoint | Response:
    """The endpoint a page is about, or the page to show instead (login, or "not found")."""
    if not access.allowed:
        return _to_login(request)
    try:
        return await orch.get(inference_id)
    except HfGateError as exc:
        return _page("missing.html", access, status=exc.status, title="Not found", reason=exc.reason)


@router.get("/ui/endpoints/{inference_id}")
async def endpoint_page(inference_id: str, request: Request, *, access: AccessDep, orch: OrchestratorDep) -> Response:
    """One endpoint's stored settings (never its secrets) and the form to update what can change."""
    endpoint = await _endpoint_or_page(inference_id, request, access=access, orch=orch)
    if isinstance(endpoint, Response):
        return endpoint
    service = orch.service_kind(endpoint.service)
    updatable = {s.name for s in service.service_settings if s.updatable and s.applies_to(endpoint.task_type)}
    return _page(
        "endpoint.html",
        access,
        title=endpoint.inference_id,
        endpoint=endpoint,
        row=endpoint_row(endpoint, orch.last_calls.get(inference_id), kinds=orch.service_kinds()),
        public_json=json.dumps(endpoint.public(), indent=2),
        secret_names=sorted(endpoint.secrets),
        secret_specs=[s for s in service.service_settings if s.secret and s.name in updatable],
        rate_limit_updatable="rate_limit" in updatable,
        chunking=endpoint.chunking_settings,
    )


@router.get("/ui/endpoints/{inference_id}/playground")
async def playground_page(inference_id: str, request: Request, *, access: AccessDep, orch: OrchestratorDep) -> Response:
    """Try an endpoint: streamed generation, chat, embeddings with similarities, chunks, rerank."""
    endpoint = await _endpoint_or_page(inference_id, request, access=access, orch=orch)
    if isinstance(endpoint, Response):
        return endpoint
    return _page(
        "playground.html",
        access,
        title=f"Playground: {endpoint.inference_id}",
        endpoint=endpoint,
        task_label=TASK_LABELS[endpoint.task_type],
        generation_specs=[s for s in GENERATION_TASK_SETTINGS if s.kind in ("int", "float")],
        defaults=endpoint.task_settings,
        chunking_json=_script_json(endpoint.chunking_settings),
    )


# -- login ------------------------------------------------------------------------------------------


@router.get("/ui/login")
async def login_page(access: AccessDep, next: str = "/ui/") -> Response:
    return _page("login.html", access, title="Log in", next=_local(next), error=None)


@router.post("/ui/login")
async def login(request: Request, signer: SignerDep) -> Response:
    """Check the key and open a session; the key itself is not kept."""
    form = parse_qs((await request.body()).decode(), keep_blank_values=True)
    target = _local(form.get("next", ["/ui/"])[0])
    cookie = signer.issue(form.get("api_key", [""])[0])
    if cookie is None:
        error = "That key is not one of the gateway's keys (HFGATE_API_KEYS). Check it and try again."
        access = Access(signer, None)
        return _page("login.html", access, status=401, title="Log in", next=target, error=error)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=int(signer.max_age),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/ui/logout")
async def logout() -> Response:
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# -- page-only JSON and files -----------------------------------------------------------------------


@router.put("/ui/api/endpoints/{task_type}/{inference_id}", dependencies=[Depends(_require_api_session)])
async def create_from_form(
    task_type: str, inference_id: str, *, request: Request, response: Response, orch: OrchestratorDep
) -> dict[str, Any]:
    """``PUT _inference/{task_type}/{id}``, answering with every check's outcome."""
    body = await json_object(request)
    endpoint, checks, status = await create_with_checks(orch, inference_id=inference_id, task_type=task_type, body=body)
    response.status_code = status
    return {"endpoint": None if endpoint is None else endpoint.public(), "checks": checks_json(checks)}


@router.get("/ui/static/{name}")
async def static(name: str) -> Response:
    found = _static_files().get(name)
    if found is None:
        return Response("not found", status_code=404, media_type="text/plain")
    content, kind = found
    return Response(content, media_type=kind, headers={"Cache-Control": "no-cache"})


def _local(target: str) -> str:
    """``target`` if it is a page of this site, else the endpoints page (no open redirects)."""
    return target if target.startswith("/ui") and "//" not in target and "\\" not in target else "/ui/"


def _script_json(value: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``</script>`` can close it early."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
