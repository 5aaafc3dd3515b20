"""A :class:`Call`: who calls an upstream, and within which limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hfgate.upstream.http.affinity import SessionKey


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """Who is calling, and within which limits.

    Args:
        inference_id: the endpoint, named in every error.
        api_key: sent as ``Authorization: Bearer``.
        timeout: seconds for the whole call, waits and retries included.
        target: the rate-limit group's upstream (url or model id); empty means not rate limited.
        requests_per_minute: the group's rate.
        model: what is loading, for the "still loading" error.
        scale_up: ask a scaled-to-zero Inference Endpoint to hold the request (``X-Scale-Up-Timeout``).
        extra_headers: further headers (``X-HF-Bill-To``…).
        upstreams: several base urls serving the same model (``target`` is the first); the request
            goes to the least busy healthy one and moves on when one fails.
        retry: retry a failed attempt on the same url (off within a group of ``upstreams``).
        affinity: within a group of ``upstreams``, the session key whose rendezvous order picks the url
            (an empty key: the least busy, counted as ``none``); ``None``: affinity is off (the least
            busy, not counted).
    """

    inference_id: str
    api_key: str
    timeout: float
    target: str = ""
    requests_per_minute: float = 3000.0
    model: str = ""
    scale_up: bool = False
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    upstreams: tuple[str, ...] = ()
    retry: bool = True
    affinity: SessionKey | None = None

    def headers(self, remaining: float, *, accept: str = "application/json") -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": accept, **self.extra_headers}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        if self.scale_up:
            headers["X-Scale-Up-Timeout"] = str(max(1, int(remaining)))
        return headers
