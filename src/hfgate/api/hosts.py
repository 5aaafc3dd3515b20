"""One model per host: requests to an endpoint's own host name reach ``/hf/{id}`` at the root.

TEI and TGI clients build URLs by joining absolute paths onto a host (Haystack's
``HuggingFaceTEIRanker`` posts to ``{url}/rerank`` after dropping any path), so ``/hf/{id}/…`` is out
of their reach. A request whose ``Host`` names an endpoint is rewritten from ``/rerank`` to
``/hf/{id}/rerank`` (``/`` to ``/hf/{id}``), before routing and the gateway-key check:

- ``HFGATE_HOST_ENDPOINTS``: a JSON map of host names to endpoint ids, e.g.
  ``{"ranker.internal": "my-ranker"}``;
- ``HFGATE_ENDPOINT_DOMAIN``: with ``hfgate.internal``, ``{id}.hfgate.internal`` serves endpoint
  ``{id}`` (a wildcard DNS record points every such name at hfgate).

Paths of the gateway itself (``/health``, ``/metrics``, ``/ui``, ``/_inference``, ``/hf/``) are left as
they are on every host. The port in ``Host`` is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import Scope

_GATEWAY_PATHS = ("/health", "/ready", "/metrics", "/ui", "/static", "/_inference", "/hf/", "/docs", "/openapi.json")


class HostNames:
    """Rewrites the path of a request sent to an endpoint's own host (see the module docstring)."""

    def __init__(self, *, hosts: Mapping[str, str], domain: str | None) -> None:
        self.active = bool(hosts or domain)
        self._hosts = {name.lower(): endpoint for name, endpoint in hosts.items()}
        self._suffix = f".{domain.lower().strip('.')}" if domain else None

    def route(self, scope: Scope) -> Scope:
        """``scope``, or a copy with the path on the endpoint that its host names."""
        if not self.active:
            return scope
        endpoint = self.endpoint_of(_host(scope))
        if endpoint is not None and not scope["path"].startswith(_GATEWAY_PATHS):
            return _rewritten(scope, endpoint)
        return scope

    def endpoint_of(self, host: str) -> str | None:
        """The endpoint id ``host`` (lower-case, no port) names, if any."""
        if host in self._hosts:
            return self._hosts[host]
        if self._suffix and host.endswith(self._suffix) and len(host) > len(self._suffix):
            return host[: -len(self._suffix)]
        return None


def _host(scope: Scope) -> str:
    """The request's host name, lower-case, without the port."""
    value = next((v for k, v in scope["headers"] if k == b"host"), b"").decode("latin-1").lower()
    name, _, port = value.rpartition(":")
    return name if name and port.isdigit() else value


def _rewritten(scope: Scope, endpoint: str) -> Scope:
    rest = "" if scope["path"] == "/" else scope["path"]
    path = f"/hf/{endpoint}{rest}"
    return {**scope, "path": path, "raw_path": path.encode()}
