"""What serves a url, asked at create: TEI or TGI by ``GET /info``, vLLM, SGLang, llama.cpp or another
OpenAI-compatible server by ``GET /v1/models``, infinity by ``GET /models``, else ``pipeline`` (the url used as given).

The answer is recorded in ``service_settings`` (``engine``, and ``model_name`` — the name the server
checks in ``model`` — ``served_model``, the model whose tokenizer counts tokens, and ``context_window``,
the most tokens one input may hold: TEI's ``/info`` ``max_input_length``, vLLM's and SGLang's
``/v1/models`` ``max_model_len``; and ``takes_images`` where the server lists its model's capabilities:
infinity's ``/models``).
"""

from __future__ import annotations

from typing import Any

from hfgate.errors import UpstreamError, UpstreamUnreachableError
from hfgate.services.hugging_face.routing import LEGACY_ENGINE, base_url
from hfgate.services.hugging_face.server_info import INFO_TIMEOUT, ServerInfos
from hfgate.upstream.engines import engine_owning
from hfgate.upstream.http.client import Call, UpstreamClient
from hfgate.upstream.wire.info import ServerInfo
from hfgate.upstream.wire.models import ServedModel, parse_models


async def detect(
    upstream: UpstreamClient, infos: ServerInfos, *, url: str, call: Call, replicas: int = 1
) -> tuple[dict[str, Any], ServerInfo]:
    """The recorded settings for the server at ``url``, and its ``/info`` (empty when it has none).

    Raises:
        UpstreamUnreachableError: nothing listens at ``url`` and it is the endpoint's only server (with
            several ``replicas`` the others may answer the test call).
    """
    info = await _info(infos, root=base_url(url), call=call, alone=replicas == 1)
    if info.engine is not None:
        return {"engine": info.engine, **_known(served_model=info.model_id, context_window=info.max_input_tokens)}, info
    served = await _models(upstream, url=url, call=call)
    if served is None:
        return {"engine": LEGACY_ENGINE}, info
    engine = engine_owning(served.owned_by)
    recorded = {"engine": engine, "model_name": served.name, "served_model": served.name}
    return recorded | _known(context_window=served.max_model_len, takes_images=_takes_images(served)), info


def _takes_images(served: ServedModel) -> bool | None:
    """Whether the server says its model embeds images (infinity's ``image_embed``); ``None``: it does not say."""
    return None if served.capabilities is None else "image_embed" in served.capabilities


async def _info(infos: ServerInfos, *, root: str, call: Call, alone: bool) -> ServerInfo:
    """The server's ``/info``, asked once first: a refused connection is answered at once (retrying it
    would only make a mistyped url wait through every backoff), anything else asked again as serving asks."""
    try:
        return await infos.ask(root, call, retry=False)
    except UpstreamUnreachableError:
        if alone:
            raise
    except UpstreamError:
        pass
    return await infos.get(root, call)


def _known(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


async def _models(upstream: UpstreamClient, *, url: str, call: Call) -> ServedModel | None:
    plain = Call(inference_id=call.inference_id, api_key=call.api_key, timeout=min(call.timeout, INFO_TIMEOUT))
    try:
        served = await _listed(upstream, base_url(url) + "/v1/models", plain)
        if served is not None:
            return served
        # infinity lists its models at /models (its routes have no /v1 prefix unless started with one); a
        # list there counts only when a known engine owns it.
        served = await _listed(upstream, base_url(url) + "/models", plain)
    except UpstreamUnreachableError:  # nothing listens there: asking again elsewhere only spends the timeout
        return None
    return served if served is not None and engine_owning(served.owned_by) != "openai" else None


async def _listed(upstream: UpstreamClient, models_url: str, plain: Call) -> ServedModel | None:
    """The model listed at ``models_url``; ``None`` when there is no such list.

    Raises:
        UpstreamUnreachableError: nothing answers at the server's address.
    """
    try:
        response = await upstream.get_response(plain, models_url)
    except UpstreamUnreachableError:
        raise
    except UpstreamError:
        return None
    if response.status != 200:
        return None
    try:
        return upstream.decode(plain, models_url, body=response.body, parse=parse_models)
    except UpstreamError:
        return None
