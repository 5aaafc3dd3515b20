"""The web page's session cookie: signed with the fleet's key, holding the key's id (never the key),
unforgeable, expiring, CSRF-bound; it ends when its key is removed from the configuration or revoked."""

from __future__ import annotations

from pathlib import Path

import httpx

from hfgate.api.ui.session import COOKIE, CSRF_HEADER, SessionSigner
from hfgate.config import Settings
from hfgate.services import ServiceContext
from tests.conftest import app_client

SIGNING = b"s" * 32


def test_the_cookie_holds_the_key_id_and_not_the_key() -> None:
    signer = SessionSigner(SIGNING)
    session = signer.read(signer.issue("env-0123abcd"))
    assert session is not None
    assert session.key_id == "env-0123abcd"
    assert len(session.csrf) >= 24


def test_a_tampered_or_foreign_cookie_is_refused() -> None:
    signer = SessionSigner(SIGNING)
    cookie = signer.issue("k1")
    payload, _, signature = cookie.partition(".")
    assert signer.read(f"{payload}x.{signature}") is None
    assert signer.read(f"{payload}.{signature[:-2]}AA") is None
    assert signer.read("garbage") is None
    assert SessionSigner(b"o" * 32).read(cookie) is None


def test_a_session_expires() -> None:
    signer = SessionSigner(SIGNING, max_age=60)
    cookie = signer.issue("k1", now=1000.0)
    assert signer.read(cookie, now=1059.0) is not None
    assert signer.read(cookie, now=1061.0) is None


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
