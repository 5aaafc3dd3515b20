"""The web page: endpoints table, endpoint settings, add-a-model form, playground, and the login.

Pages are rendered on the server (Jinja2); small scripts served from ``/ui/static`` call the
``_inference`` API itself, so the page runs the same validation and inference as any client. The one
page-only route is the form's create, which reports every check's outcome instead of the first error.

When ``HFGATE_API_KEYS`` is set, ``/ui/login`` exchanges a key for a signed session cookie (see
:mod:`hfgate.api.ui.session`); the key never appears in a URL or in the page.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from hfgate.access.principal import OPEN
from hfgate.access.roles import Role
from hfgate.api.body import json_object
from hfgate.api.declare import PageRoutes
from hfgate.api.deps import AccessDep as AccessControlDep
from hfgate.api.deps import OrchestratorDep
from hfgate.api.ui.access import Access, AccessDep, SignerDep, TextDep, to_login
from hfgate.api.ui.checks import checks_json, create_with_checks
from hfgate.api.ui.i18n import COOKIE as LOCALE_COOKIE
from hfgate.api.ui.i18n import LOCALES, PageText
from hfgate.api.ui.rendering import render_page, script_json, static_files
from hfgate.api.ui.session import COOKIE
from hfgate.api.ui.views import (
    FORM_TASK_TYPES,
    SECRET_LABELS,
    SOURCES,
    TASK_LABELS,
    endpoint_row,
    form_plan,
    generation_choices,
)
from hfgate.errors import AuthenticationError, HfGateError
from hfgate.orchestrator import Orchestrator
from hfgate.registry.endpoint import Endpoint
from hfgate.services.spec import GENERATION_TASK_SETTINGS

PAGES = PageRoutes()

# -- pages ------------------------------------------------------------------------------------------


@PAGES.get("/ui", "/ui/", role=Role.MONITOR)
async def endpoints_page(request: Request, access: AccessDep, *, text: TextDep, orch: OrchestratorDep) -> Response:
    """Every endpoint, with its settings summary and the outcome of its last call."""
    if not access.allowed:
        return to_login(request)
    endpoints = orch.observed(sorted(await orch.list(), key=lambda e: e.inference_id))
    rows = [endpoint_row(e, orch.last_calls.get(e.inference_id), text=text) for e in endpoints]
    return render_page("endpoints.html", access, text=text, here="/ui/", rows=rows, title=text.gettext("Endpoints"))


@PAGES.get("/ui/new", role=Role.MANAGE)
async def new_page(request: Request, access: AccessDep, *, text: TextDep, orch: OrchestratorDep) -> Response:
    """The add-a-model form."""
    if not access.allowed:
        return to_login(request)
    return render_page(
        "new.html",
        access,
        text=text,
        here="/ui/new",
        title=text.gettext("Add a model"),
        task_types=[(t.value, text.gettext(TASK_LABELS[t])) for t in FORM_TASK_TYPES],
        sources=SOURCES,
        plan_json=script_json(form_plan(text, kinds=orch.service_kinds())),
        generation_tasks=generation_choices(orch.service_kinds()),
        suggestions=orch.suggested_models(),
    )


async def _endpoint_or_page(
    inference_id: str, request: Request, *, access: Access, text: PageText, orch: Orchestrator
) -> Endpoint | Response:
    """The endpoint a page is about, or the page to show instead (login, or "not found")."""
    if not access.allowed:
        return to_login(request)
    try:
        return await orch.get(inference_id)
    except HfGateError as exc:
        title = text.gettext("Not found")
        return render_page(
            "missing.html", access, text=text, here="/ui/", status=exc.status, title=title, reason=exc.reason
        )


@PAGES.get("/ui/endpoints/{inference_id}", role=Role.MONITOR)
async def endpoint_page(
    inference_id: str, request: Request, *, access: AccessDep, text: TextDep, orch: OrchestratorDep
) -> Response:
    """One endpoint's stored settings (never its secrets) and the form to update what can change."""
    endpoint = await _endpoint_or_page(inference_id, request, access=access, text=text, orch=orch)
    if isinstance(endpoint, Response):
        return endpoint
    service = orch.service_kind(endpoint.service)
    updatable = {s.name for s in service.service_settings if s.updatable and s.applies_to(endpoint.task_type)}
    return render_page(
        "endpoint.html",
        access,
        text=text,
        here=request.url.path,
        title=endpoint.inference_id,
        endpoint=endpoint,
        row=endpoint_row(orch.observed([endpoint])[0], orch.last_calls.get(inference_id), text=text),
        public_json=json.dumps(endpoint.public(), indent=2),
        secret_names=sorted(endpoint.secrets),
        secret_specs=[s for s in service.service_settings if s.secret and s.name in updatable],
        rate_limit_updatable="rate_limit" in updatable,
        secret_labels=SECRET_LABELS,
        chunking=endpoint.chunking_settings,
    )


@PAGES.get("/ui/endpoints/{inference_id}/playground", role=Role.INFER)
async def playground_page(
    inference_id: str, request: Request, *, access: AccessDep, text: TextDep, orch: OrchestratorDep
) -> Response:
    """Try an endpoint: streamed generation, chat (tools, images), embeddings with similarities, chunks, rerank,
    and a view per Hub task (``_hub_tasks.html``)."""
    endpoint = await _endpoint_or_page(inference_id, request, access=access, text=text, orch=orch)
    if isinstance(endpoint, Response):
        return endpoint
    return render_page(
        "playground.html",
        access,
        text=text,
        here=request.url.path,
        title=text.gettext("Playground: %(id)s") % {"id": endpoint.inference_id},
        endpoint=endpoint,
        task_label=text.gettext(TASK_LABELS[endpoint.task_type]),
        generation_specs=[s for s in GENERATION_TASK_SETTINGS if s.kind in ("int", "float")],  # a number field each
        defaults=endpoint.task_settings,
        chunking_json=script_json(endpoint.chunking_settings),
        reads_images=orch.service_kind(endpoint.service).reads_images,
    )


# -- login ------------------------------------------------------------------------------------------


@PAGES.get("/ui/login", role=OPEN)
async def login_page(access: AccessDep, text: TextDep, *, next: str = "/ui/") -> Response:
    target = _local(next)
    here = f"/ui/login?next={quote(target)}"
    return render_page(
        "login.html", access, text=text, here=here, title=text.gettext("Log in"), next=target, error=None
    )


@PAGES.post("/ui/login", role=OPEN)
async def login(request: Request, signer: SignerDep, *, keys: AccessControlDep, text: TextDep) -> Response:
    """Check the key (``HFGATE_API_KEYS`` or an API key's ``encoded`` value) and open a session for it;
    the key itself is not kept."""
    form = parse_qs((await request.body()).decode(), keep_blank_values=True)
    target = _local(form.get("next", ["/ui/"])[0])
    try:
        cookie = signer.issue((await keys.ring.resolve(form.get("api_key", [""])[0].strip())).key_id)
    except AuthenticationError:
        error = text.gettext("That key is not one of the gateway's keys (HFGATE_API_KEYS). Check it and try again.")
        access = Access({"gated": True})
        here = f"/ui/login?next={quote(target)}"
        return render_page(
            "login.html",
            access,
            text=text,
            here=here,
            status=401,
            title=text.gettext("Log in"),
            next=target,
            error=error,
        )
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


@PAGES.post("/ui/locale", role=OPEN)
async def choose_language(request: Request) -> Response:
    """The language switcher: remember the choice in a cookie for a year, and go back to the page."""
    form = parse_qs((await request.body()).decode(), keep_blank_values=True)
    target = _local(form.get("next", ["/ui/"])[0])
    response = RedirectResponse(target, status_code=303)
    chosen = form.get("locale", [""])[0]
    if chosen in LOCALES:
        response.set_cookie(LOCALE_COOKIE, chosen, max_age=365 * 86400, samesite="lax", path="/")
    return response


@PAGES.post("/ui/logout", role=OPEN)
async def logout() -> Response:
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# -- page-only JSON and files -----------------------------------------------------------------------


@PAGES.put("/ui/api/endpoints/{task_type}/{inference_id}", role=Role.MANAGE)
async def create_from_form(
    task_type: str, inference_id: str, *, request: Request, response: Response, orch: OrchestratorDep, text: TextDep
) -> dict[str, Any]:
    """``PUT _inference/{task_type}/{id}``, answering with every check's outcome in the page's language."""
    body = await json_object(request)
    endpoint, checks, status = await create_with_checks(orch, inference_id=inference_id, task_type=task_type, body=body)
    response.status_code = status
    return {"endpoint": None if endpoint is None else endpoint.public(), "checks": checks_json(checks, text)}


@PAGES.get("/ui/static/{name}", role=OPEN)
async def static(name: str) -> Response:
    found = static_files().get(name)
    if found is None:
        return Response("not found", status_code=404, media_type="text/plain")
    content, kind = found
    return Response(content, media_type=kind, headers={"Cache-Control": "no-cache"})


def _local(target: str) -> str:
    """``target`` if it is a page of this site, else the endpoints page (no open redirects)."""
    return target if target.startswith("/ui") and "//" not in target and "\\" not in target else "/ui/"
