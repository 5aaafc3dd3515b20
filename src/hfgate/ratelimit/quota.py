"""Requests and tokens per minute per gateway key: refused with 429 and ``Retry-After`` when used up.

Both limits are budgets that refill continuously (GCRA, as a token bucket without a timer, on the
timelines of :mod:`~hfgate.ratelimit.timeline`): a key with ``requests_per_minute=60`` may send 60
requests at once, then one a second. Tokens are only known once a request has run, so they are charged
afterwards; a key is refused while its token budget is overdrawn.

:class:`LocalQuota` keeps the budgets in this process, at its share of every limit (``1 / replicas``);
:class:`~hfgate.ratelimit.redis_quota.RedisQuota` keeps them in Redis, shared by every replica.
"""

from __future__ import annotations

import math
import time
from typing import Protocol

from hfgate.errors import KeyLimitError
from hfgate.ratelimit.timeline import Clock, Timelines, interval, nanoseconds, seconds

WINDOW = 60.0
_WINDOW_NS = nanoseconds(WINDOW)


class Keyed(Protocol):
    """Whose budgets: a gateway key (:class:`hfgate.access.principal.Principal`) and its limits."""

    @property
    def key_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def requests_per_minute(self) -> int | None: ...
    @property
    def tokens_per_minute(self) -> int | None: ...


class Quota(Protocol):
    async def admit(self, principal: Keyed) -> None:
        """Raises KeyLimitError when the key's requests or tokens per minute are used up."""
        ...

    async def charge(self, principal: Keyed, tokens: int) -> None:
        """Count ``tokens`` (input + output) against the key's budget."""
        ...


def refusal(principal: Keyed, *, what: str, limit: int, wait: float) -> KeyLimitError:
    seconds = max(1, math.ceil(wait))
    return KeyLimitError(
        f"API key [{principal.name}] (id [{principal.key_id}]) has used its {what} per minute [{limit}]; "
        f"retry in {seconds} s, or ask an admin for a key with a higher limit",
        retry_after=seconds,
    )


class LocalQuota:
    """Budgets in this process (no Redis, or Redis unreachable under ``fail_open``).

    Args:
        share: the part of every budget this process keeps: ``1 / replicas``, so that replicas that
            cannot share their budgets still keep them together.
        clock: monotonic seconds.
    """

    def __init__(self, *, share: float = 1.0, clock: Clock = time.monotonic) -> None:
        self.share = share
        self._requests = Timelines(clock=clock)  # key id → when its next request's share is free
        self._tokens = Timelines(clock=clock)

    async def admit(self, principal: Keyed) -> None:
        now = self._requests.now()
        key = principal.key_id
        tpm = principal.tokens_per_minute
        if tpm is not None and (overdrawn := self._tokens.ahead(key, now=now)) >= _WINDOW_NS:
            raise refusal(principal, what="tokens", limit=tpm, wait=seconds(overdrawn - _WINDOW_NS))
        rpm = principal.requests_per_minute
        if rpm is not None:
            spacing = interval(rpm * self.share)
            # a minute's worth at once: the next slot may be up to a minute ahead, less the one taken now
            # (a share below one request a minute still admits one request per interval)
            burst = max(_WINDOW_NS - spacing, 0)
            if (ahead := self._requests.ahead(key, now=now)) > burst:
                raise refusal(principal, what="requests", limit=rpm, wait=seconds(ahead - burst))
            self._requests.take(key, now=now, interval=spacing)

    async def charge(self, principal: Keyed, tokens: int) -> None:
        if principal.tokens_per_minute is None or tokens <= 0:
            return
        cost = nanoseconds(tokens * WINDOW / (principal.tokens_per_minute * self.share))
        self._tokens.take(principal.key_id, now=self._tokens.now(), interval=cost)
