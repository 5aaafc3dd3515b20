"""The settings the ``hugging_face`` service accepts, and how they must combine.

An endpoint is reached either by ``url`` (a dedicated Inference Endpoint, or any TEI / TGI server),
by ``urls`` (several replicas of one such deployment, balanced) or by ``model_id`` (a model on the
hosted Inference API) — exactly one of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hfgate.services.embedding_shape import EMBEDDING_SHAPE_SETTINGS
from hfgate.services.generation_settings import GENERATION_TASK_SETTINGS
from hfgate.services.spec import SettingSpec
from hfgate.tasks import TaskType
from hfgate.url_policy import allowed_host, url_problem

EMBEDDING = frozenset({TaskType.TEXT_EMBEDDING})
COMPLETION = frozenset({TaskType.COMPLETION})
CHAT = frozenset({TaskType.CHAT_COMPLETION})
RERANK = frozenset({TaskType.RERANK})
DEFAULT_REQUESTS_PER_MINUTE = 3000
GENERATION_TASKS = ("text-generation", "text2text-generation", "conversational")

SERVICE_SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        name="url",
        label="Endpoint URL",
        description="A dedicated Inference Endpoint, or a TEI / TGI server (give this or model_id).",
    ),
    SettingSpec(
        name="urls",
        kind="list[str]",
        label="Endpoint URLs",
        description="Several replicas of one TEI / TGI / Inference Endpoint deployment: requests go to the least "
        "busy, a failing one is ejected for a while (give this, url or model_id).",
    ),
    SettingSpec(
        name="fallback",
        updatable=True,
        label="Fallback endpoint",
        description="Another inference endpoint of the same task type, used when all of this one's upstreams fail.",
    ),
    SettingSpec(
        name="model_id",
        label="Model id",
        description="A model on Hugging Face's hosted Inference API, e.g. BAAI/bge-small-en-v1.5 (give this or url).",
    ),
    SettingSpec(
        name="api_key",
        secret=True,
        required=True,
        updatable=True,
        label="Access token",
        description="A Hugging Face access token (hf_…), sent as a bearer token.",
    ),
    SettingSpec(
        name="rate_limit",
        kind="object",
        updatable=True,
        default={"requests_per_minute": DEFAULT_REQUESTS_PER_MINUTE},
        label="Rate limit",
        description="Requests hfgate sends per minute to this url or model with this token.",
        children=(
            SettingSpec(
                name="requests_per_minute",
                kind="int",
                minimum=1,
                default=DEFAULT_REQUESTS_PER_MINUTE,
                label="Requests per minute",
                description="Default 3000.",
            ),
        ),
    ),
    SettingSpec(
        name="namespace",
        task_types=EMBEDDING,
        label="User / organization",
        description="Owner of the Inference Endpoint at url; when given, the endpoints API confirms the url "
        "belongs to it and serves an embedding model.",
    ),
    *EMBEDDING_SHAPE_SETTINGS,
    SettingSpec(
        name="max_input_tokens",
        kind="int",
        minimum=1,
        task_types=EMBEDDING,
        label="Max input tokens",
        description="Inputs are cut to 3 characters per token before sending.",
    ),
    SettingSpec(
        name="task",
        choices=GENERATION_TASKS,
        recorded=True,
        task_types=COMPLETION,
        label="Generation task",
        description="text-generation or text2text-generation; for hosted models it is taken from the Hub "
        "(conversational when the model is offered only for chat).",
    ),
    SettingSpec(
        name="served_model",
        recorded=True,
        label="Served model",
        description="The model a url serves (from the endpoints API or the server's /info); recorded at "
        "create, used to count tokens with its tokenizer.",
    ),
)

_TGI_EXTRAS: tuple[SettingSpec, ...] = (
    SettingSpec(name="best_of", kind="int", minimum=1, task_types=COMPLETION, updatable=True),
    SettingSpec(name="decoder_input_details", kind="bool", task_types=COMPLETION, updatable=True),
    SettingSpec(name="frequency_penalty", kind="float", task_types=COMPLETION | CHAT, updatable=True),
    SettingSpec(name="presence_penalty", kind="float", task_types=CHAT, updatable=True),
    SettingSpec(name="top_n_tokens", kind="int", minimum=0, task_types=COMPLETION, updatable=True),
    SettingSpec(name="truncate", kind="int", minimum=1, task_types=COMPLETION, updatable=True),
    SettingSpec(name="typical_p", kind="float", minimum=0, task_types=COMPLETION, updatable=True),
    SettingSpec(name="watermark", kind="bool", task_types=COMPLETION, updatable=True),
)
_RERANK: tuple[SettingSpec, ...] = (
    SettingSpec(
        name="return_documents",
        kind="bool",
        task_types=RERANK,
        updatable=True,
        description="Return each document's text with its score.",
    ),
    SettingSpec(
        name="top_n",
        kind="int",
        minimum=1,
        task_types=RERANK,
        updatable=True,
        description="Most hits returned.",
    ),
)
TASK_SETTINGS: tuple[SettingSpec, ...] = GENERATION_TASK_SETTINGS + _TGI_EXTRAS + _RERANK


def settings_problems(task_type: TaskType, settings: Mapping[str, Any]) -> list[str]:
    """What is wrong with how ``settings`` combine: exactly one of ``url``/``model_id``, and so on.

    Example:
        >>> settings_problems(TaskType.TEXT_EMBEDDING, {"url": "http://tei:8080", "model_id": "m"})[0][:44]
        '[service_settings] contains both [url] and ['
    """
    url, model_id, urls = settings.get("url"), settings.get("model_id"), settings.get("urls")
    if urls is not None:
        return _urls_problems(urls, given_too=bool(url or model_id))
    if url and model_id:
        return [
            "[service_settings] contains both [url] and [model_id]; give [url] for a dedicated Inference "
            "Endpoint or a TEI/TGI server, or [model_id] for a model on the hosted Inference API, not both"
        ]
    if not url and not model_id:
        return [
            "[service_settings] must contain either [url] (a dedicated Inference Endpoint or a TEI/TGI "
            "server) or [model_id] (a model on the hosted Inference API, e.g. [BAAI/bge-small-en-v1.5])"
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
