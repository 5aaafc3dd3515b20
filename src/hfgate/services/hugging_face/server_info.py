"""``GET /info`` of the servers the ``hugging_face`` service calls, asked once per url."""

from __future__ import annotations

from hfgate.errors import UpstreamError
from hfgate.upstream.http.client import Call, UpstreamClient
from hfgate.upstream.wire.info import ServerInfo, parse_info

INFO_TIMEOUT = 5.0


class ServerInfos:
    """What each server says of itself, remembered once it answered."""

    def __init__(self, upstream: UpstreamClient) -> None:
        self._upstream = upstream
        self._known: dict[str, ServerInfo] = {}

    async def get(self, root: str, call: Call) -> ServerInfo:
        """The ``/info`` of the server at ``root``; an empty one when it has none or cannot be asked (not
        remembered: it may come up)."""
        return await self.ask(root, call, unreachable=ServerInfo())

    async def ask(
        self, root: str, call: Call, *, retry: bool = True, unreachable: ServerInfo | None = None
    ) -> ServerInfo:
        """As :meth:`get`, with a say in what a server that cannot be asked gives.

        Args:
            retry: retry a failed attempt (create-time detection asks once and moves on).
            unreachable: what a failed request gives; ``None`` raises its error.

        Raises:
            UpstreamUnreachableError: nothing answers at ``root`` (with ``unreachable=None``).
            UpstreamError: the request failed otherwise (with ``unreachable=None``), or the answer breaks
                the protocol.
        """
        url = root.rstrip("/") + "/info"
        known = self._known.get(url)
        if known is not None:
            return known
        timeout = min(call.timeout, INFO_TIMEOUT)
        plain = Call(inference_id=call.inference_id, api_key=call.api_key, timeout=timeout, retry=retry)
        try:
            response = await self._upstream.get_response(plain, url)
        except UpstreamError:
            if unreachable is None:
                raise
            return unreachable
        info = ServerInfo()
        if response.status == 200:
            info = self._upstream.decode(plain, url, body=response.body, parse=parse_info)
        self._known[url] = info
        return info
