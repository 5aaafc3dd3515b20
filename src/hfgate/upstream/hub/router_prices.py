"""The prices Inference Providers publish for a chat model, from the router's model list.

``GET https://router.huggingface.co/v1/models/{id}`` lists the providers serving a chat model; each entry
``may include`` ``pricing: {"input", "output"}``, "USD per million tokens, when available"
(huggingface/hub-docs ``docs/inference-providers/hub-api.md``, "List OpenAI-compatible models", at commit
0968d8352ec849896d1d3dc447070e227e00bdc5). No cached-input price is published. The list covers chat
models only, so embeddings and rerank on Inference Providers get no price from here.

A price is a convenience, never a reason to refuse an endpoint: when the list cannot be read (or names no
price), :func:`fetch_router_prices` returns nothing and the endpoint is created without a price.

Example:
    >>> parse_router_prices({"providers": [{"provider": "novita", "status": "live",
    ...                                     "pricing": {"input": 1.69, "output": 3.38}}]})
    {'novita': (1.69, 3.38)}
"""

from __future__ import annotations

import logging
from typing import Any

from hfgate.errors import HfGateError
from hfgate.upstream.http.client import Call, UpstreamClient
from hfgate.upstream.wire.common import as_dict

log = logging.getLogger("hfgate.upstream.hub")
SOURCE = "router /v1/models"
"""What a recorded price's ``source`` says it was read from."""


def parse_router_prices(body: Any) -> dict[str, tuple[float, float]]:
    """``provider → (input, output)`` USD per million tokens, for the live providers that publish both."""
    found: dict[str, tuple[float, float]] = {}
    for entry in as_dict(body, "the model").get("providers") or []:
        if not isinstance(entry, dict) or entry.get("status") != "live":
            continue
        pricing = entry.get("pricing")
        if isinstance(pricing, dict) and _amount(pricing.get("input")) and _amount(pricing.get("output")):
            found[str(entry.get("provider"))] = (float(pricing["input"]), float(pricing["output"]))
    return found


async def fetch_router_prices(
    client: UpstreamClient, call: Call, *, router_url: str, model_id: str
) -> dict[str, tuple[float, float]]:
    """The router's published prices of ``model_id`` per provider; empty when it has none or cannot say."""
    url = f"{router_url.rstrip('/')}/v1/models/{model_id}"
    try:
        response = await client.get_response(call, url)
        if response.status != 200:
            return {}
        return client.decode(call, url, body=response.body, parse=parse_router_prices)
    except HfGateError as exc:
        log.warning("router prices not read", extra={"event": "price.router.error", "url": url, "error": str(exc)})
        return {}


def router_price(prices: dict[str, tuple[float, float]], provider: str | None) -> dict[str, Any] | None:
    """The ``price`` setting to record: the chosen provider's, or, when the router picks the provider (a
    policy), the dearest live provider's input and output prices (an upper bound)."""
    if provider is not None:
        chosen = prices.get(provider)
        if chosen is None:
            return None
        return {"input": chosen[0], "output": chosen[1], "source": f"{SOURCE}: {provider}"}
    if not prices:
        return None
    dearest = (max(p[0] for p in prices.values()), max(p[1] for p in prices.values()))
    return {"input": dearest[0], "output": dearest[1], "source": f"{SOURCE}: dearest of {', '.join(sorted(prices))}"}


def _amount(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
