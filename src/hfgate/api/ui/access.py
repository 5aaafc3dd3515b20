"""Who may see the web page: the login session (found by the access middleware), its CSRF token, what
the key's roles allow, and the page's language."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from hfgate.access.principal import Principal
from hfgate.access.roles import Role
from hfgate.api.ui.i18n import COOKIE as LOCALE_COOKIE
from hfgate.api.ui.i18n import PageText, choose_locale
from hfgate.api.ui.session import SessionSigner


class Access:
    """What a page request may do: whether a login is needed, what the key may do, the CSRF token."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.login_required = bool(state.get("gated"))
        self.principal: Principal | None = state.get("principal")
        self.allowed = not self.login_required or self.principal is not None
        session = state.get("session")
        self.csrf = session.csrf if session is not None else ""

    def can(self, role: str) -> bool:
        """Whether the page may offer what needs ``role`` (links and buttons the key could not use are hidden)."""
        return not self.login_required or (self.principal is not None and Role(role) in self.principal.granted)


def page_access(request: Request) -> Access:
    return Access(request.scope.get("state", {}))


AccessDep = Annotated[Access, Depends(page_access)]


def signer(request: Request) -> SessionSigner:
    sessions: SessionSigner = request.app.state.sessions
    return sessions


SignerDep = Annotated[SessionSigner, Depends(signer)]


def page_text(request: Request) -> PageText:
    locale = choose_locale(
        cookie=request.cookies.get(LOCALE_COOKIE), accept_language=request.headers.get("accept-language")
    )
    return PageText(locale)


TextDep = Annotated[PageText, Depends(page_text)]


def to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/ui/login?next={quote(request.url.path)}", status_code=303)
