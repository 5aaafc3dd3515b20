"""Who the current request is: a gateway key's id, roles, endpoints and limits.

The access middleware sets :data:`CURRENT` once it has checked the key; routes and the orchestrator read
it (a context variable, so no layer passes it on). No principal means the gateway is open (no key
configured anywhere): everything is allowed, as before keys existed.
"""

from __future__ import annotations

import fnmatch
import re
from contextvars import ContextVar
from dataclasses import dataclass, field

from hfgate.access.roles import Role, granted
from hfgate.errors import ForbiddenError


@dataclass(frozen=True, slots=True)
class Principal:
    """A checked gateway key.

    Args:
        key_id: the key's id (never its secret); ``env-…`` for the bootstrap keys of ``HFGATE_API_KEYS``.
        name: the name given at creation.
        roles: the roles granted at creation (implied ones are added).
        endpoints: endpoint ids or ``fnmatch`` patterns the key is limited to; empty: every endpoint.
        requests_per_minute: the key's request budget, or ``None``.
        tokens_per_minute: the key's token budget (input + output), or ``None``.
        day_budget, month_budget: micro-dollars the key may spend per UTC day and month, or ``None``.
    """

    key_id: str
    name: str
    roles: tuple[Role, ...]
    endpoints: tuple[str, ...] = ()
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    day_budget: int | None = None
    month_budget: int | None = None
    expires_at: float | None = None
    granted: frozenset[Role] = field(init=False)
    _pattern: re.Pattern[str] | None = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "granted", granted(self.roles))
        joined = "|".join(f"(?:{fnmatch.translate(p)})" for p in self.endpoints)
        object.__setattr__(self, "_pattern", re.compile(joined) if self.endpoints else None)

    @property
    def limited(self) -> bool:
        return self.requests_per_minute is not None or self.tokens_per_minute is not None

    def may_use(self, inference_id: str) -> bool:
        return self._pattern is None or self._pattern.fullmatch(inference_id) is not None

    def require(self, role: Role) -> None:
        """Raises ForbiddenError naming the missing role."""
        if role not in self.granted:
            held = ", ".join(r.value for r in self.roles)
            raise ForbiddenError(
                f"action is unauthorized for API key [{self.name}] (id [{self.key_id}]): this route needs the "
                f"[{role.value}] role and the key has [{held}]; create a key with [{role.value}] in its roles"
            )


CURRENT: ContextVar[Principal | None] = ContextVar("hfgate_principal", default=None)


def check_endpoint(inference_id: str) -> None:
    """Raises ForbiddenError when the current key is limited to other endpoints (nothing when open)."""
    principal = CURRENT.get()
    if principal is not None and not principal.may_use(inference_id):
        raise ForbiddenError(
            f"API key [{principal.name}] (id [{principal.key_id}]) may not use inference endpoint "
            f"[{inference_id}]; it is limited to {list(principal.endpoints)}"
        )


def may_use(inference_id: str) -> bool:
    """Whether the current key may see or use the endpoint (always, when the gateway is open)."""
    principal = CURRENT.get()
    return principal is None or principal.may_use(inference_id)
