"""The ``hugging_face`` service's create-time rules that need an answer from Hugging Face or a server."""

from __future__ import annotations

from typing import Any

from hfgate.errors import HfGateError, ValidationCallError
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import GenerationParams, TaskType
from hfgate.upstream.target import ServerUrl, Target
from hfgate.upstream.wire.info import ServerInfo

PROBE_PROMPT = "Who are you?"
PROBE_PARAMS = GenerationParams(max_new_tokens=5)
_SERVER_KINDS = {TaskType.TEXT_EMBEDDING: "embedding", TaskType.RERANK: "reranker"}


def recorded_task(endpoint: Endpoint, task: str) -> dict[str, Any]:
    """``{"task": task}`` as the Hub says; a different ``task`` given by the user is refused."""
    given = endpoint.service_settings.get("task")
    if given and given != task:
        raise ValidationCallError(
            f"[task] is [{given}] but the Hub says model [{endpoint.service_settings['model_id']}] serves "
            f"[{task}]; for a hosted [model_id] leave [task] out: it is taken from the Hub",
            param="service_settings.task",
        )
    return {"task": task}


def check_server_kind(endpoint: Endpoint, info: ServerInfo) -> None:
    """A TEI server's ``/info`` says which kind of model it serves; refuse a mismatch early."""
    wanted = _SERVER_KINDS.get(endpoint.task_type)
    if info.kind is None or wanted is None or info.kind == wanted:
        return
    where = endpoint.service_settings.get("url") or endpoint.service_settings.get("urls")
    raise ValidationCallError(
        f"The server at [{where}] serves a [{info.kind}] model "
        f"([{info.model_id or 'unknown'}]), which cannot serve [{endpoint.task_type.value}]; register it "
        "with the matching task type, or give the url of a server with a matching model",
        param="service_settings.url",
    )


def probe_failed(endpoint: Endpoint, exc: HfGateError, *, target: Target) -> str:
    """Why the create-time test call failed, with a hint where the cause is a likely mistake."""
    hint = ""
    if endpoint.task_type is TaskType.COMPLETION and isinstance(target, ServerUrl) and exc.status == 400:
        hint = (
            " The server refused a text-generation request: it may not be a text-generation-inference "
            "server, or its task may be [text2text-generation] (set [task])."
        )
    return f"The test [{endpoint.task_type.value}] call to [{target.target}] failed: {exc.reason}{hint}"
