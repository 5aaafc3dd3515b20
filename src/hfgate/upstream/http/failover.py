"""One request over a group of upstreams: try the least busy healthy url (or, for a session, the first
healthy url of its rendezvous order), and on a connection error or a 5xx eject it and try the next,
until one answers or none is left.

Within a group each url gets one attempt per request (no same-url retries: another replica is a
better bet than the one that just failed); the request's deadline is shared by all attempts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from hfgate.errors import UpstreamError, UpstreamServerError, UpstreamUnreachableError
from hfgate.telemetry.metrics import AFFINITY, RETRIES
from hfgate.telemetry.request_scope import name_upstream
from hfgate.upstream.http.affinity import Outcome
from hfgate.upstream.http.balancer import Balancer, Upstream
from hfgate.upstream.http.call import Call

#: Failures that eject an upstream and move the request to another.
EJECTING = (UpstreamUnreachableError, UpstreamServerError)


class Failover:
    """The attempts of one request over ``balancer``'s upstreams.

    Args:
        balancer: the group.
        call: the request's call; ``call.target`` is the group's first url, which ``url`` starts with.
        url: the url as built for the first upstream.
    """

    def __init__(self, balancer: Balancer, call: Call, *, url: str) -> None:
        self._balancer = balancer
        self._call = call
        base = call.target.rstrip("/")
        # The route after the first url's base, put after each other url's (trailing slashes aside).
        self._path = url[len(base) :] if url.startswith(base) else None
        self._url = url
        self._deadline = time.monotonic() + call.timeout
        self._tried: list[Upstream] = []
        self._last: UpstreamError | None = None
        self._failed: Upstream | None = None
        key = call.affinity.key if call.affinity is not None else ""
        self._order = balancer.ranked(key) if key else []

    def next(self) -> tuple[Upstream, Call, str]:
        """The next upstream, the call to make on it, and its url.

        Raises:
            UpstreamUnreachableError: every upstream failed or is ejected (502); the last failure, if
                any, is in the reason.
        """
        if self._order:
            upstream = self._balancer.first_of(self._order, tried=self._tried)
        else:
            upstream = self._balancer.pick(tried=self._tried)
        if upstream is None:
            raise self._exhausted()
        self._tried.append(upstream)
        source = self._call.affinity.source if self._call.affinity is not None else ""
        name_upstream(upstream.url, affinity=self._outcome(upstream) or "", key_source=source)
        if self._tried[1:]:
            RETRIES(self._call.inference_id, "failover").inc()
        remaining = max(0.001, self._deadline - time.monotonic())
        one = replace(self._call, target=upstream.url, upstreams=(), retry=False, timeout=remaining)
        url = upstream.url.rstrip("/") + self._path if self._path is not None else self._url
        return upstream, one, url

    @contextmanager
    def lease(self, upstream: Upstream) -> Iterator[Upstream]:
        """Count the attempt in flight on ``upstream`` while it runs; an attempt that ends without an
        error and without :meth:`failed` is a success, which clears the upstream's failure count."""
        with self._balancer.lease(upstream):
            try:
                yield upstream
            finally:
                outcome = self._outcome(upstream)
                if outcome is not None and self._failed is not upstream:  # answered here, with or without an error
                    AFFINITY(self._call.inference_id, outcome).inc()
        if self._failed is not upstream:
            self._balancer.succeeded(upstream, endpoint=self._call.inference_id)

    def failed(self, upstream: Upstream, exc: UpstreamError) -> None:
        """Eject ``upstream`` after ``exc`` (one of :data:`EJECTING`)."""
        self._last = exc
        self._failed = upstream
        reason = "connection" if isinstance(exc, UpstreamUnreachableError) else "server_error"
        self._balancer.eject(upstream, endpoint=self._call.inference_id, reason=reason)

    def _outcome(self, upstream: Upstream) -> Outcome | None:
        """``kept`` on the session's own upstream, ``moved`` on another, ``none`` without a key, ``None``
        with affinity off."""
        if self._call.affinity is None:
            return None
        if not self._order:
            return "none"
        return "kept" if upstream is self._order[0] else "moved"

    def _exhausted(self) -> UpstreamError:
        count = len(self._balancer.upstreams)
        if self._last is not None:
            detail = f"the last one answered: {self._last.reason}"
        else:
            detail = f"all are ejected after failures; the first returns in [{self._balancer.next_return():.1f}s]"
        reason = (
            f"All [{count}] upstream urls of inference entity id [{self._call.inference_id}] failed; {detail}. "
            "Check those servers, or name a [service_settings.fallback] endpoint"
        )
        return UpstreamUnreachableError(reason)
