"""Session affinity over a group's upstreams: rendezvous (highest-random-weight) hashing.

Each upstream's weight for a session is a hash of the session key and the upstream's url; the session
goes to the healthy upstream of highest weight. Every hfgate replica computes the same order from the
same urls, so they agree with no shared state; an upstream that leaves takes only its own sessions
elsewhere (each to its next in order), and one that joins takes only the sessions it now outranks for.
A failover is not remembered: while the session's first upstream is ejected the order's next one
serves it, and once it returns the session goes back to it (where its prefix cache is).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

KeySource = Literal["session", "conversation", ""]
Outcome = Literal["kept", "moved", "none"]


@dataclass(frozen=True, slots=True)
class SessionKey:
    """What a request's upstream is chosen by.

    ``key`` is empty when the request names no session and has no conversation to hash: it goes to the
    least busy upstream. ``source`` says where the key came from (``session``: a header or the body's
    metadata; ``conversation``: its first messages), for the access log.
    """

    key: str = ""
    source: KeySource = ""


def weight(key: str, url: str) -> int:
    """The rendezvous weight of ``url`` for ``key`` (64 bits of BLAKE2b: stable across processes).

    Example:
        >>> weight("s:abc", "http://a:8000") == weight("s:abc", "http://a:8000")
        True
    """
    digest = hashlib.blake2b(f"{key}\x00{url}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def ranked(key: str, urls: Sequence[str]) -> list[int]:
    """The indexes of ``urls`` from the highest weight for ``key`` down: the session's order of preference.

    Example:
        >>> sorted(ranked("s:abc", ["http://a", "http://b", "http://c"]))
        [0, 1, 2]
    """
    return sorted(range(len(urls)), key=lambda i: weight(key, urls[i]), reverse=True)
