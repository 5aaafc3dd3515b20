"""The web page's session cookie: issued only for a gateway key, unforgeable, expiring, CSRF-bound."""

from __future__ import annotations

from hfgate.api.ui.session import SessionSigner


def test_a_session_is_issued_only_for_a_configured_key() -> None:
    signer = SessionSigner(["k1", "k2"])
    assert signer.issue("k2") is not None
    assert signer.issue("k3") is None
    assert signer.issue("") is None


def test_the_cookie_does_not_contain_the_key() -> None:
    cookie = SessionSigner(["a-very-secret-key"]).issue("a-very-secret-key")
    assert cookie is not None
    assert "secret" not in cookie


def test_a_tampered_or_foreign_cookie_is_refused() -> None:
    signer = SessionSigner(["k1"])
    cookie = signer.issue("k1")
    assert cookie is not None
    payload, _, signature = cookie.partition(".")
    assert signer.read(f"{payload}x.{signature}") is None
    assert signer.read(f"{payload}.{signature[:-2]}AA") is None
    assert signer.read("garbage") is None
    assert SessionSigner(["other"]).read(cookie) is None


def test_removing_the_key_from_the_configuration_ends_its_sessions() -> None:
    cookie = SessionSigner(["old", "new"]).issue("old")
    assert SessionSigner(["old"]).read(cookie) is not None
    assert SessionSigner(["new"]).read(cookie) is None


def test_a_session_expires() -> None:
    signer = SessionSigner(["k1"], max_age=60)
    cookie = signer.issue("k1", now=1000.0)
    assert signer.read(cookie, now=1059.0) is not None
    assert signer.read(cookie, now=1061.0) is None


def test_api_calls_need_the_session_csrf_token_too() -> None:
    signer = SessionSigner(["k1"])
    cookie = signer.issue("k1")
    session = signer.read(cookie)
    assert session is not None
    assert signer.allows(cookie, session.csrf)
    assert not signer.allows(cookie, None)
    assert not signer.allows(cookie, "wrong")
    assert not signer.allows(None, session.csrf)
