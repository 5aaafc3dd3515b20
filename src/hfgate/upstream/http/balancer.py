"""Several urls for one endpoint: least outstanding requests, and ejection with back-off.

Each url of a group is an :class:`Upstream` counting its requests in flight. A request goes to the
healthy upstream with the fewest (ties: the one listed first), or, when it belongs to a session, to the
first healthy one of the session's rendezvous order (:mod:`.affinity`). An upstream that fails (refused or
broken connection, 5xx) is ejected for a back-off period that doubles with each consecutive failure
(``base_ejection`` up to ``max_ejection`` seconds); once the period ends it takes requests again, and
its first success clears the count. Groups are keyed by their url tuple, so endpoints sharing the
same urls share the same view of their health.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from hfgate.telemetry.metrics import EJECTIONS
from hfgate.upstream.http.affinity import ranked

log = logging.getLogger("hfgate.upstream")


class Upstream:
    """One url of a group, its requests in flight and its ejection state."""

    __slots__ = ("ejected_until", "failures", "outstanding", "url")

    def __init__(self, url: str) -> None:
        self.url = url
        self.outstanding = 0
        self.failures = 0
        self.ejected_until = 0.0


class Balancer:
    """Chooses among a group's upstreams.

    Args:
        urls: the group's base urls, in the order given.
        base_ejection: seconds out of rotation after a first failure.
        max_ejection: the longest ejection.
        clock: monotonic seconds (injectable for tests).

    Example:
        >>> balancer = Balancer(["http://tei-a:8080", "http://tei-b:8080"])
        >>> chosen = balancer.pick(tried=())
        >>> chosen.url
        'http://tei-a:8080'
    """

    def __init__(
        self,
        urls: Sequence[str],
        *,
        base_ejection: float = 1.0,
        max_ejection: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.upstreams = [Upstream(url) for url in urls]
        self._base = base_ejection
        self._max = max_ejection
        self._clock = clock

    def pick(self, *, tried: Sequence[Upstream]) -> Upstream | None:
        """The healthy upstream with the fewest requests in flight, not in ``tried``; ``None`` if none."""
        now = self._clock()
        best: Upstream | None = None
        for upstream in self.upstreams:
            if upstream.ejected_until > now or upstream in tried:
                continue
            if best is None or upstream.outstanding < best.outstanding:
                best = upstream
        return best

    def ranked(self, key: str) -> list[Upstream]:
        """The upstreams in ``key``'s rendezvous order (the same on every replica of hfgate)."""
        return [self.upstreams[i] for i in ranked(key, [u.url for u in self.upstreams])]

    def first_of(self, order: Sequence[Upstream], *, tried: Sequence[Upstream]) -> Upstream | None:
        """The first healthy upstream of ``order`` not in ``tried``; ``None`` if none."""
        now = self._clock()
        return next((u for u in order if u.ejected_until <= now and u not in tried), None)

    @contextmanager
    def lease(self, upstream: Upstream) -> Iterator[Upstream]:
        """Count one request in flight on ``upstream`` for the duration of the block."""
        upstream.outstanding += 1
        try:
            yield upstream
        finally:
            upstream.outstanding -= 1

    def succeeded(self, upstream: Upstream, *, endpoint: str) -> None:
        """``upstream`` answered: its next failure starts the back-off afresh."""
        if upstream.failures:
            upstream.failures = 0
            log.info(
                "upstream restored",
                extra={"event": "upstream.restore", "endpoint": endpoint, "upstream": upstream.url},
            )

    def eject(self, upstream: Upstream, *, endpoint: str, reason: str) -> float:
        """Take ``upstream`` out of rotation; the back-off in seconds."""
        backoff = min(self._max, self._base * 2.0**upstream.failures)
        upstream.failures += 1
        upstream.ejected_until = self._clock() + backoff
        EJECTIONS(endpoint, upstream.url, reason).inc()
        log.warning(
            "upstream ejected",
            extra={
                "event": "upstream.eject",
                "endpoint": endpoint,
                "upstream": upstream.url,
                "reason": reason,
                "seconds": backoff,
            },
        )
        return backoff

    def next_return(self) -> float:
        """Seconds until the first ejected upstream takes requests again (0 if one is healthy)."""
        now = self._clock()
        return max(0.0, min(u.ejected_until for u in self.upstreams) - now)


class Balancers:
    """One :class:`Balancer` per url group, created on first use."""

    def __init__(self, *, base_ejection: float = 1.0, max_ejection: float = 30.0) -> None:
        self._base = base_ejection
        self._max = max_ejection
        self._groups: dict[tuple[str, ...], Balancer] = {}

    def group(self, urls: tuple[str, ...]) -> Balancer:
        balancer = self._groups.get(urls)
        if balancer is None:
            balancer = self._groups[urls] = Balancer(urls, base_ejection=self._base, max_ejection=self._max)
        return balancer
