"""Which URLs hfgate may call on a user's behalf.

An endpoint's ``url`` is a server-side request made for whoever created the endpoint, so it must not
reach what only the gateway's host can reach: link-local addresses (``169.254.0.0/16``, ``fe80::/10``)
and the cloud metadata services on them (``169.254.169.254``, AWS's ``fd00:ec2::254``) are refused
always, whatever the configuration. Operators who want fewer targets still list host patterns in
``HFGATE_ALLOWED_URL_HOSTS`` (``*.endpoints.huggingface.cloud,tei.internal``); a url whose host
matches none is refused.

Three checks use this module: the settings check at create (the url's syntax, an address literal in a
forbidden range), :meth:`allowed_host` at create and update, and the upstream transport's resolver,
which refuses a *name* that resolves to a forbidden address when the request is made.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from fnmatch import fnmatchcase
from functools import lru_cache
from urllib.parse import SplitResult, urlsplit

FORBIDDEN_NETWORKS = (
    ipaddress.ip_network("169.254.0.0/16"),  # IPv4 link-local; 169.254.169.254 is the metadata service
    ipaddress.ip_network("fe80::/10"),  # IPv6 link-local
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS's IPv6 metadata service
)


@lru_cache(maxsize=4096)  # checked on every upstream call: an endpoint's few hosts, parsed once
def forbidden_address(address: str) -> bool:
    """Whether ``address`` (an IP address, as text) is one hfgate never calls.

    Example:
        >>> forbidden_address("169.254.169.254"), forbidden_address("127.0.0.1")
        (True, False)
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in FORBIDDEN_NETWORKS)


def url_problem(url: str) -> str | None:
    """What is wrong with ``url`` as an upstream address (its syntax, then its host), or ``None``.

    Example:
        >>> url_problem("http://[::1")
        'Invalid IPv6 URL; give a url such as http://host:8080'
    """
    if not url.startswith(("http://", "https://")):
        return "it must start with http:// or https://"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in 0-65535
    except ValueError as exc:
        return f"{exc}; give a url such as http://host:8080"
    if not parts.hostname:
        return "it has no host; give a url such as http://host:8080"
    if forbidden_address(parts.hostname):
        return (
            "it is a link-local or cloud metadata address, which hfgate never calls on a user's behalf; "
            "give the address of a model server"
        )
    return None


def allowed_host(url: str, *, patterns: Sequence[str], field: str = "url") -> str | None:
    """``None`` if ``url``'s host matches one of ``patterns`` (or there are none), else the refusal.

    Patterns are shell-style and case-insensitive: ``*.endpoints.huggingface.cloud``, ``10.0.0.*``.

    Example:
        >>> allowed_host("http://tei.internal:8080", patterns=["*.internal"]) is None
        True
    """
    if not patterns:
        return None
    host = _host(_split(url))
    if any(fnmatchcase(host, pattern.lower()) for pattern in patterns):
        return None
    return (
        f"The host [{host}] of [service_settings.{field}] is not allowed here: the operator allows only "
        f"hosts matching [{', '.join(patterns)}] (HFGATE_ALLOWED_URL_HOSTS); give a url on one of them"
    )


def _split(url: str) -> SplitResult | None:
    try:
        return urlsplit(url)
    except ValueError:
        return None


def _host(parts: SplitResult | None) -> str:
    return (parts.hostname or "") if parts is not None else ""
