"""The web page's session cookie: signed with the fleet's key, holding the key's id (never the key),
unforgeable, expiring (tests/access/test_sessions.py: through the app, CSRF and ending with the key)."""

from __future__ import annotations

from hfgate.api.ui.session import SessionSigner

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


def test_while_the_secret_key_is_rotated_sessions_signed_with_the_previous_key_are_still_read() -> None:
    before = SessionSigner(b"o" * 32).issue("k1")
    rotating = SessionSigner(SIGNING, previous=b"o" * 32)
    assert rotating.read(before) is not None
    assert SessionSigner(b"o" * 32).read(rotating.issue("k1")) is None  # new sessions: the new key only
    assert SessionSigner(SIGNING).read(before) is None  # the previous key dropped: its sessions end
