"""The one place that picks how an endpoint is called: which engine's or provider's protocol, at which
address.

- by ``url`` (or ``urls``): the recorded ``engine``'s protocol (``pipeline`` when none was recorded:
  the url used as given), at the server's base url, with the served model's name;
- by ``model_id``: chat (and completion of a chat-only model) through the router's OpenAI route with
  ``model_id:provider`` (or ``:policy``); every other task through the chosen provider's own route
  with the provider's model id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from hfgate.config import Settings
from hfgate.errors import BadRequestError
from hfgate.services.hugging_face.typed import HfSettings
from hfgate.upstream.engines import ENGINES, engine_protocol
from hfgate.upstream.engines.base import Address, Kind, Protocol
from hfgate.upstream.engines.openai import OpenAIChat
from hfgate.upstream.providers import provider_protocol

P = TypeVar("P", bound=Protocol)

LEGACY_ENGINE = "pipeline"
LEGACY_PROVIDER = "hf-inference"
ROUTER = "router"
_SERVER_SUFFIXES = (
    "/v1/chat/completions",
    "/v1/completions",
    "/v1/embeddings",
    "/v1",
    "/rerank",
    "/embed",
    "/generate",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """A protocol, where it is spoken, and who answers (an engine, a provider or the router)."""

    protocol: Protocol
    address: Address
    by: str
    target: str
    hosted: bool


def pick(settings: HfSettings, kind: Kind, expected: type[P], *, config: Settings) -> tuple[P, Route]:
    """The protocol and route for a ``kind`` of call.

    Raises:
        BadRequestError: the engine or provider does not serve ``kind``; the reason names the fix.
    """
    url = settings.server_url
    if url is not None:
        return _by_url(settings, url, kind, expected)
    if kind == "chat":
        return _protocol(OpenAIChat(), expected), _router(settings, config=config)
    return _by_provider(settings, kind, expected, config=config)


def base_url(url: str) -> str:
    """The server's root: ``url`` without a route it may end with.

    Example:
        >>> base_url("http://vllm:8000/v1/")
        'http://vllm:8000'
    """
    url = url.rstrip("/")
    for suffix in _SERVER_SUFFIXES:
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url


def router_model(settings: HfSettings) -> str:
    """``model_id`` with the router's suffix: ``:provider`` or ``:policy``.

    Example:
        >>> router_model(HfSettings(model_id="meta-llama/Llama-3.1-8B-Instruct", provider="cheapest"))
        'meta-llama/Llama-3.1-8B-Instruct:cheapest'
    """
    suffix = settings.policy or (settings.provider if settings.provider != "auto" else settings.served_by)
    return f"{settings.model_id}:{suffix}" if suffix else str(settings.model_id)


def _by_url(settings: HfSettings, url: str, kind: Kind, expected: type[P]) -> tuple[P, Route]:
    engine = settings.engine or LEGACY_ENGINE
    protocol = engine_protocol(engine, kind, expected)
    if protocol is None:
        served = ", ".join(ENGINES[engine].protocols) if engine in ENGINES else "nothing"
        raise BadRequestError(
            f"The [{engine}] engine at [{url}] cannot serve [{kind}] (it serves: {served}); register the url "
            "of a server that does, or correct [service_settings.engine]",
            param="service_settings.engine",
        )
    address = Address(root=base_url(url), given=url, model=settings.model_name or "", window=settings.context_window)
    return protocol, Route(protocol=protocol, address=address, by=engine, target=url, hosted=False)


def _router(settings: HfSettings, *, config: Settings) -> Route:
    address = Address(root=config.hf_router_url.rstrip("/"), model=router_model(settings))
    return Route(protocol=OpenAIChat(), address=address, by=ROUTER, target=str(settings.model_id), hosted=True)


def _by_provider(settings: HfSettings, kind: Kind, expected: type[P], *, config: Settings) -> tuple[P, Route]:
    provider = settings.served_by or LEGACY_PROVIDER
    protocol = provider_protocol(provider, kind, expected)
    if protocol is None:
        raise BadRequestError(
            f"Provider [{provider}] has no route hfgate speaks for [{kind}] of model [{settings.model_id}]; set "
            "[service_settings.provider] to another provider serving it, or to [auto]",
            param="service_settings.provider",
        )
    root = config.hf_inference_url if provider == LEGACY_PROVIDER else f"{config.hf_router_url.rstrip('/')}/{provider}"
    address = Address(root=root, model=settings.provider_model or str(settings.model_id))
    return protocol, Route(protocol=protocol, address=address, by=provider, target=str(settings.model_id), hosted=True)


def _protocol(found: Protocol, expected: type[P]) -> P:
    if not isinstance(found, expected):  # pragma: no cover - a wiring mistake, not a user's
        raise TypeError(f"{type(found).__name__} is not a {expected.__name__}")
    return found
