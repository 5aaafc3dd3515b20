"""Who may see the web page: the login session, its CSRF token, and the page's language."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from hfgate.api.deps import SettingsDep
from hfgate.api.ui.i18n import COOKIE as LOCALE_COOKIE
from hfgate.api.ui.i18n import PageText, choose_locale
from hfgate.api.ui.session import COOKIE, CSRF_HEADER, SessionSigner
from hfgate.errors import AuthenticationError


class Access:
    """What a page request may do: whether a login is needed, and the CSRF token for its scripts."""

    def __init__(self, signer: SessionSigner, cookie: str | None) -> None:
        self.login_required = signer.required
        session = signer.read(cookie) if signer.required else None
        self.allowed = not signer.required or session is not None
        self.csrf = session.csrf if session is not None else ""


def signer(settings: SettingsDep) -> SessionSigner:
    return SessionSigner(settings.api_keys)


SignerDep = Annotated[SessionSigner, Depends(signer)]


def page_access(request: Request, signer: SignerDep) -> Access:
    return Access(signer, request.cookies.get(COOKIE))


AccessDep = Annotated[Access, Depends(page_access)]


def require_api_session(request: Request, signer: SignerDep) -> None:
    """The page-only JSON routes need the session cookie and its CSRF header when keys are set."""
    if signer.required and not signer.allows(request.cookies.get(COOKIE), request.headers.get(CSRF_HEADER)):
        raise AuthenticationError("log in at /ui/login first; this route serves the web page only")


def page_text(request: Request) -> PageText:
    locale = choose_locale(
        cookie=request.cookies.get(LOCALE_COOKIE), accept_language=request.headers.get("accept-language")
    )
    return PageText(locale)


TextDep = Annotated[PageText, Depends(page_text)]


def to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/ui/login?next={quote(request.url.path)}", status_code=303)
