"""Creating (and re-pointing) an endpoint of the ``hugging_face`` service: the offline rules, what the
Hub or the server says (recorded in ``service_settings``), then one real call."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from hfgate.chat.messages import ChatMessage
from hfgate.chunking.window import window_warning
from hfgate.config import Settings
from hfgate.errors import RequestValidationError, UpstreamError, UpstreamUnreachableError
from hfgate.pipelines import pipeline_for
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import Service
from hfgate.services.embedding_shape import record_embedding_shape
from hfgate.services.hugging_face.calls import plain_call
from hfgate.services.hugging_face.checks import PROBE_PARAMS, PROBE_PROMPT, check_server_kind, probe_failed, same_task
from hfgate.services.hugging_face.detect import detect
from hfgate.services.hugging_face.hosted import choose_provider
from hfgate.services.hugging_face.rules import settings_problems
from hfgate.services.hugging_face.server_info import ServerInfos
from hfgate.services.hugging_face.typed import HfSettings
from hfgate.tasks import ChatRequest, EmbedRequest, GenerateRequest, RerankRequest, TaskType
from hfgate.upstream.http import failures
from hfgate.upstream.http.client import Call, UpstreamClient
from hfgate.upstream.hub.endpoints_api import find_endpoint
from hfgate.upstream.hub.model_info import check_inference_on, fetch_model_info
from hfgate.upstream.hub.router_prices import fetch_router_prices, router_price

log = logging.getLogger("hfgate.services.hugging_face")
DETECTED = ("engine", "model_name", "served_model", "context_window")


async def check(
    service: Service, endpoint: Endpoint, *, upstream: UpstreamClient, infos: ServerInfos, timeout: float
) -> Endpoint:
    """Learn what serves ``endpoint`` (through ``upstream``, with the service's ``infos``), then probe it
    with one real call of ``service``.

    Raises RequestValidationError, ValidationCallError or UpstreamError (see the service's ``check``)."""
    problems = settings_problems(endpoint.task_type, endpoint.service_settings)
    if problems:
        raise RequestValidationError(problems)
    learnt = await _learn(upstream, infos, endpoint, config=service.context.settings, timeout=timeout)
    endpoint = endpoint.evolve(service_settings={**endpoint.service_settings, **learnt})
    log.info("endpoint served by", extra={"event": "endpoint.served_by", "endpoint": endpoint.inference_id, **learnt})
    if endpoint.chunking_settings is not None and (
        said := window_warning(endpoint.chunking_settings, window=learnt.get("context_window"))
    ):
        log.warning(said, extra={"event": "endpoint.chunks_past_window", "endpoint": endpoint.inference_id})
    try:
        return await _probe(service, endpoint, timeout)
    except UpstreamError as exc:
        reason = probe_failed(endpoint, exc, settings=HfSettings.of(endpoint.service_settings))
        raise failures.with_reason(exc, reason) from exc


async def revise(
    service: Service, before: Endpoint, after: Endpoint, *, upstream: UpstreamClient, infos: ServerInfos, timeout: float
) -> Endpoint:
    """After an ``_update``: a new url is detected and checked again (unless the update set ``engine``)."""
    old, new = before.service_settings, after.service_settings
    if (old.get("url"), old.get("urls")) == (new.get("url"), new.get("urls")):
        return after
    keep_engine = new.get("engine") != old.get("engine")
    settings = {k: v for k, v in new.items() if k not in DETECTED or (k == "engine" and keep_engine)}
    return await check(
        service, after.evolve(service_settings=settings), upstream=upstream, infos=infos, timeout=timeout
    )


async def _learn(
    upstream: UpstreamClient, infos: ServerInfos, endpoint: Endpoint, *, config: Settings, timeout: float
) -> dict[str, Any]:
    settings = HfSettings.of(endpoint.service_settings)
    call = plain_call(endpoint, timeout=timeout)
    if settings.server_url is None:
        model_id = str(settings.model_id)
        hub = await fetch_model_info(upstream, call, hub_url=config.hf_hub_url, model_id=model_id)
        check_inference_on(hub)
        recorded = choose_provider(hub, endpoint.task_type, settings)
        same_task(endpoint, recorded)
        served_by = recorded.get("served_by")
        return recorded | await _router_price(upstream, call, endpoint, config=config, served_by=served_by)
    url = settings.server_url
    if endpoint.task_type is TaskType.TEXT_EMBEDDING and settings.namespace:
        item = await find_endpoint(upstream, call, base=config.hf_endpoints_url, namespace=settings.namespace, url=url)
        return {"served_model": item.repository, "engine": settings.engine or "pipeline"}
    replicas = max(1, len(settings.urls))
    try:
        detected, info = await detect(upstream, infos, url=url, call=call, replicas=replicas)
    except UpstreamUnreachableError as exc:  # nothing listens at the url: the test call would say the same
        raise failures.with_reason(exc, probe_failed(endpoint, exc, settings=settings)) from exc
    check_server_kind(endpoint, info)
    given = {k: endpoint.service_settings[k] for k in DETECTED if endpoint.service_settings.get(k)}
    return detected | given


async def _router_price(
    upstream: UpstreamClient, call: Call, endpoint: Endpoint, *, config: Settings, served_by: str | None
) -> dict[str, Any]:
    """A hosted chat model's price as the router publishes it, unless the operator set one."""
    generating = endpoint.task_type in (TaskType.CHAT_COMPLETION, TaskType.COMPLETION)
    if endpoint.service_settings.get("price") or not generating:
        return {}
    model_id = str(endpoint.service_settings["model_id"])
    prices = await fetch_router_prices(upstream, call, router_url=config.hf_router_url, model_id=model_id)
    price = router_price(prices, served_by)
    return {} if price is None else {"price": price}


async def _probe(service: Service, endpoint: Endpoint, timeout: float) -> Endpoint:
    task, model = endpoint.task_type, service.open(endpoint)
    if task.hub_pipeline:
        hub_task = pipeline_for(task)
        probe = hub_task.probe()
        if probe is not None:
            await model.pipeline(replace(hub_task.request(*probe), timeout=timeout))
        return endpoint
    if task is TaskType.TEXT_EMBEDDING:
        return await record_embedding_shape(model, timeout=timeout)
    if task is TaskType.SPARSE_EMBEDDING:
        await model.sparse_embed(EmbedRequest(texts=(PROBE_PROMPT,), timeout=timeout))
    elif task is TaskType.COMPLETION:
        await model.generate(GenerateRequest(prompt=PROBE_PROMPT, params=PROBE_PARAMS, timeout=timeout))
    elif task is TaskType.CHAT_COMPLETION:
        message = ChatMessage(role="user", content=PROBE_PROMPT)
        await model.chat(ChatRequest(messages=(message,), params=PROBE_PARAMS, timeout=timeout))
    else:
        await model.rerank(RerankRequest(query="how big", documents=("small", "large"), timeout=timeout))
    return endpoint
