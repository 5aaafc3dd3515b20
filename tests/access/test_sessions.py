"""The web page's session through the app: the page's API calls need the CSRF token, and a session ends
when its key is revoked or removed from the configuration. (Async, so not under tests/api/ui, whose
browser fixtures run an event loop of their own.)"""

from __future__ import annotations

from pathlib import Path

import httpx
from pydantic import SecretStr

from hfgate.api.ui.session import COOKIE, CSRF_HEADER
from hfgate.config import Settings
from hfgate.services import ServiceContext
from tests.conftest import app_client


def jar(cookie: str, csrf: str | None = None) -> dict[str, str]:
    headers = {"Cookie": f"{COOKIE}={cookie}"}
    return headers if csrf is None else {**headers, CSRF_HEADER: csrf}


async def _login(http: httpx.AsyncClient, key: str) -> tuple[str, str]:
    """Log in through the form; the cookie and the CSRF token the page carries."""
    answer = await http.post("/ui/login", data={"api_key": key, "next": "/ui/"})
    assert answer.status_code == 303, answer.text
    cookie = answer.cookies[COOKIE]
    http.cookies.clear()  # each call below says which cookie it sends
    assert key not in cookie
    page = await http.get("/ui/", headers=jar(cookie))
    csrf = page.text.split('name="hfgate-csrf" content="', 1)[1].split('"', 1)[0]
    return cookie, csrf


async def test_page_api_calls_need_the_csrf_token_and_sessions_end_with_their_key(
    tmp_path: Path, shared_context: ServiceContext
) -> None:
    settings = Settings(data_dir=tmp_path, api_keys=["old", "new"], provision_defaults=False,  # type: ignore[arg-type]
                        secret_key="s", log_format="text")  # fmt: skip
    async with app_client(settings, shared_context) as http:
        made = await http.post("/_security/api_key", json={"name": "ops", "roles": ["monitor"]},
                               headers={"Authorization": "Bearer new"})  # fmt: skip
        cookie, csrf = await _login(http, made.json()["encoded"])
        assert (await http.get("/_inference", headers=jar(cookie, csrf))).status_code == 200
        assert (await http.get("/_inference", headers=jar(cookie))).status_code == 401
        assert (await http.get("/_inference", headers=jar(cookie, "x"))).status_code == 401
        await http.request("DELETE", "/_security/api_key", json={"ids": [made.json()["id"]]},
                           headers={"Authorization": "Bearer new"})  # fmt: skip
        revoked = await http.get("/ui/", headers=jar(cookie))
        assert revoked.status_code == 303  # back to the login
        old_cookie, _ = await _login(http, "old")
    removed = settings.model_copy(update={"api_keys": ["new"]})
    async with app_client(removed, shared_context) as http:
        assert (await http.get("/ui/", headers=jar(old_cookie))).status_code == 303


async def test_a_session_survives_the_restart_onto_a_new_secret_key_with_the_old_one_as_previous(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, api_keys=["boot"], provision_defaults=False,  # type: ignore[arg-type]
                        secret_key="old", log_format="text")  # fmt: skip
    async with app_client(settings) as http:
        cookie, csrf = await _login(http, "boot")
    rotating = settings.model_copy(update={"secret_key": SecretStr("new"), "secret_key_previous": SecretStr("old")})
    async with app_client(rotating) as http:
        assert (await http.get("/_inference", headers=jar(cookie, csrf))).status_code == 200
