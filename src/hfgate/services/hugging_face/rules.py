"""How the ``hugging_face`` service's settings must combine: exactly one of ``url`` / ``urls`` /
``model_id``, a ``provider`` only for a model id, an ``engine`` only for a url, well-formed values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hfgate.tasks import TaskType
from hfgate.upstream.http.url_policy import allowed_host, url_problem

POLICY_NAMES = ("fastest", "cheapest", "preferred")


def settings_problems(task_type: TaskType, settings: Mapping[str, Any]) -> list[str]:
    """What is wrong with how ``settings`` combine: exactly one of ``url``/``model_id``, and so on.

    Example:
        >>> settings_problems(TaskType.TEXT_EMBEDDING, {"url": "http://tei:8080", "model_id": "m"})[0][:44]
        '[service_settings] contains both [url] and ['
    """
    url, model_id, urls = settings.get("url"), settings.get("model_id"), settings.get("urls")
    problems = _provider_problems(settings, hosted=bool(model_id))
    return problems + _locator_problems(settings, url=url, model_id=model_id, urls=urls)


def _provider_problems(settings: Mapping[str, Any], *, hosted: bool) -> list[str]:
    provider = str(settings.get("provider") or "auto")
    if not hosted and provider != "auto":
        return ["[service_settings] [provider] applies only to a hosted [model_id]; remove it for a [url]"]
    if hosted and settings.get("engine"):
        return ["[service_settings] [engine] applies only to a server given by [url]; remove it for a [model_id]"]
    name = provider.removeprefix(":")
    if not name or not all(c.isalnum() or c in "-_." for c in name):
        return [
            f"[service_settings] Invalid [provider] [{provider}]: give [auto], a provider's name such as "
            f"[together], or a router policy ({', '.join(POLICY_NAMES)})"
        ]
    return []


def _locator_problems(settings: Mapping[str, Any], *, url: Any, model_id: Any, urls: Any) -> list[str]:
    if urls is not None:
        return _urls_problems(urls, given_too=bool(url or model_id))
    if url and model_id:
        return [
            "[service_settings] contains both [url] and [model_id]; give [url] for a dedicated Inference "
            "Endpoint or a TEI/TGI/vLLM/SGLang/llama.cpp server, or [model_id] for a model served by Inference "
            "Providers, not both"
        ]
    if not url and not model_id:
        return [
            "[service_settings] must contain either [url] (an Inference Endpoint or a TEI/TGI/vLLM/SGLang/llama.cpp "
            "server) or [model_id] (a model served by Inference Providers, e.g. [BAAI/bge-small-en-v1.5])"
        ]
    return _url_problems(str(url)) if url else _model_problems(str(model_id), settings)


def _url_problems(url: str) -> list[str]:
    problem = url_problem(url)
    return [] if problem is None else [f"[service_settings] Invalid url [{url}]: {problem}"]


def host_problems(settings: Mapping[str, Any], *, patterns: Sequence[str]) -> list[str]:
    """The urls of ``settings`` whose host matches none of the operator's ``patterns`` (HFGATE_ALLOWED_URL_HOSTS)."""
    urls = [str(u) for u in settings.get("urls") or [settings.get("url")] if u]
    return [p for p in (allowed_host(url, patterns=patterns) for url in urls) if p is not None]


def _urls_problems(urls: list[str], *, given_too: bool) -> list[str]:
    if given_too:
        return [
            "[service_settings] contains [urls] and also [url] or [model_id]; give the servers either as "
            "[urls] (several replicas) or as one [url], and leave [model_id] out"
        ]
    if not urls:
        return ["[service_settings] [urls] is empty; list at least one http:// or https:// url"]
    if len(set(urls)) != len(urls):
        return ["[service_settings] [urls] lists the same url twice; list each replica once"]
    return [problem.replace("url [", "url in [urls] [") for url in urls for problem in _url_problems(url)]


def _model_problems(model_id: str, settings: Mapping[str, Any]) -> list[str]:
    problems = []
    if "://" in model_id:
        problems.append(f"[service_settings] [model_id] [{model_id}] is a url; give it as [url] instead")
    elif " " in model_id or model_id.count("/") > 1:
        problems.append(
            f"[service_settings] Invalid [model_id] [{model_id}]: it is a Hub repository id such as [owner/name]"
        )
    if settings.get("namespace"):
        problems.append(
            "[service_settings] [namespace] applies only to a dedicated endpoint given by [url]; remove it "
            "for a hosted [model_id]"
        )
    return problems
