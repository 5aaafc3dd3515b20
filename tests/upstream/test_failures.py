"""Upstream failures become hfgate's typed errors with Elasticsearch's reasons and the right status."""

from __future__ import annotations

import pytest

from hfgate.errors import (
    UpstreamAuthError,
    UpstreamBadRequestError,
    UpstreamRateLimitError,
    UpstreamServerError,
    UpstreamTimeoutError,
    UpstreamUnreachableError,
)
from hfgate.upstream.http.failures import error_message, event_error, status_error, transport_error
from hfgate.upstream.http.transport import ConnectFailedError, ConnectionLostError, HostNotFoundError, TimedOutError


@pytest.mark.parametrize(
    ("status", "kind", "answered", "words"),
    [
        (401, UpstreamAuthError, 401, "an authentication error"),
        (403, UpstreamAuthError, 403, "an authentication error"),
        (429, UpstreamRateLimitError, 429, "a rate limit"),
        (500, UpstreamServerError, 502, "a server error"),
        (503, UpstreamServerError, 502, "a server error"),
        (413, UpstreamBadRequestError, 413, "a content too large"),
        (404, UpstreamBadRequestError, 404, "an unsuccessful"),
        (422, UpstreamBadRequestError, 422, "an unsuccessful"),
    ],
)
def test_status_errors_keep_their_meaning(status: int, kind: type, answered: int, words: str) -> None:
    error = status_error(inference_id="e1", status=status, body=b'{"error": "boom"}')
    assert type(error) is kind
    assert error.status == answered
    assert error.reason == (
        f"Received {words} status code for request from inference entity id [e1] status [{status}]. "
        "Error message: [boom]"
    )


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        (b'{"error": "plain"}', {}, "plain"),
        (b'{"error": ["one", "two"]}', {}, "one; two"),
        (b'{"error_description": "desc"}', {}, "desc"),
        (b'{"errors": [{"message": "m1"}, {"message": "m2"}]}', {}, "m1; m2"),
        (b'{"error": {"message": "nested"}}', {}, "nested"),
        (b"", {"X-Error-Message": "from header"}, "from header"),
        (b"Payload Too Large", {}, "Payload Too Large"),
    ],
)
def test_the_upstream_error_text_is_found_wherever_it_is(body: bytes, headers: dict[str, str], expected: str) -> None:
    assert error_message(body, headers) == expected


def test_tgi_error_events_map_to_their_statuses() -> None:
    assert event_error(inference_id="e", event={"error": "x", "error_type": "overloaded"}).status == 429
    assert event_error(inference_id="e", event={"error": "x", "error_type": "validation"}).status == 422
    assert event_error(inference_id="e", event={"error": "x", "error_type": "generation"}).status == 424
    assert isinstance(event_error(inference_id="e", event={"error": "x"}), UpstreamServerError)


def test_network_failures_are_unreachable_or_timeouts() -> None:
    url = "http://10.0.0.1:8080/embed"
    dns = transport_error(HostNotFoundError(url, "no such host"), inference_id="e", timeout=30)
    assert isinstance(dns, UpstreamUnreachableError)
    assert dns.reason.startswith("Invalid host [10.0.0.1:8080]")
    refused = transport_error(ConnectFailedError(url, "refused"), inference_id="e", timeout=30)
    assert isinstance(refused, UpstreamUnreachableError)
    assert refused.status == 502
    lost = transport_error(ConnectionLostError(url, "reset"), inference_id="e", timeout=30)
    assert isinstance(lost, UpstreamUnreachableError)
    slow = transport_error(TimedOutError(url, "timeout"), inference_id="e", timeout=2.5)
    assert isinstance(slow, UpstreamTimeoutError)
    assert slow.status == 504
    assert "[2.5s]" in slow.reason
