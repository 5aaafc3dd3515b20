"""A shared tier that fails is skipped, never a request's failure: counted, logged once when it goes
and once when it is back, and tried again after a pause."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from hfgate.telemetry.metrics import EMBED_CACHE_BYPASSES

log = logging.getLogger("hfgate.embed_cache")


class Bypass:
    """The health of one shared tier.

    Args:
        tier: its name in logs and metrics (``redis``, ``disk``).
        retry_seconds: how long it is skipped after a failure.
        clock: seconds, monotonic.
    """

    def __init__(self, tier: str, *, retry_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.tier = tier
        self.retry_seconds = retry_seconds
        self.available = True
        self._down_until = 0.0
        self._clock = clock

    def skipping(self) -> bool:
        """Whether to skip the tier now (it failed less than ``retry_seconds`` ago); counted when so."""
        if self._down_until and self._clock() < self._down_until:
            EMBED_CACHE_BYPASSES(self.tier).inc()
            return True
        return False

    def failed(self, error: BaseException) -> None:
        """The tier just failed: skip it for a while; log the first failure of a run of them."""
        EMBED_CACHE_BYPASSES(self.tier).inc()
        self._down_until = self._clock() + self.retry_seconds
        if self.available:
            self.available = False
            log.warning(
                "embedding cache tier unavailable; requests bypass it",
                extra={"event": "embed_cache.tier.down", "tier": self.tier, "error": repr(error)},
            )

    def worked(self) -> None:
        """The tier answered: log its return if it had been lost."""
        self._down_until = 0.0
        if not self.available:
            self.available = True
            log.info("embedding cache tier back", extra={"event": "embed_cache.tier.up", "tier": self.tier})
