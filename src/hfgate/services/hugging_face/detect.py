"""What serves a url, asked at create: TEI or TGI by ``GET /info``, vLLM, SGLang, llama.cpp or another
OpenAI-compatible server by ``GET /v1/models``, else ``pipeline`` (the url used as given).

The answer is recorded in ``service_settings`` (``engine``, and ``model_name`` — the name the server
checks in ``model`` — and ``served_model``, the model whose tokenizer counts tokens).
"""

from __future__ import annotations

from typing import Any

from hfgate.errors import UpstreamError
from hfgate.services.hugging_face.routing import LEGACY_ENGINE, base_url
from hfgate.services.hugging_face.server_info import INFO_TIMEOUT, ServerInfos
from hfgate.upstream.engines import engine_owning
from hfgate.upstream.http.client import Call, UpstreamClient
from hfgate.upstream.wire.info import ServerInfo
from hfgate.upstream.wire.models import ServedModel, parse_models


async def detect(
    upstream: UpstreamClient, infos: ServerInfos, *, url: str, call: Call
) -> tuple[dict[str, Any], ServerInfo]:
    """The recorded settings for the server at ``url``, and its ``/info`` (empty when it has none)."""
    info = await infos.get(base_url(url), call)
    if info.engine is not None:
        return {"engine": info.engine, **({"served_model": info.model_id} if info.model_id else {})}, info
    served = await _models(upstream, url=url, call=call)
    if served is None:
        return {"engine": LEGACY_ENGINE}, info
    engine = engine_owning(served.owned_by)
    return {"engine": engine, "model_name": served.name, "served_model": served.name}, info


async def _models(upstream: UpstreamClient, *, url: str, call: Call) -> ServedModel | None:
    models_url = base_url(url) + "/v1/models"
    plain = Call(inference_id=call.inference_id, api_key=call.api_key, timeout=min(call.timeout, INFO_TIMEOUT))
    try:
        response = await upstream.get_response(plain, models_url)
    except UpstreamError:
        return None
    if response.status != 200:
        return None
    try:
        return upstream.decode(plain, models_url, body=response.body, parse=parse_models)
    except UpstreamError:
        return None
