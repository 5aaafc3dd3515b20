"""text-generation as text-generation-inference (TGI) speaks it: body, answer, stream events.

Every TGI parameter can be set in the endpoint's ``task_settings``; the request's own parameters win.
``return_full_text`` is always false (no prompt echo) and ``details`` always true (the finish reason
and the generated token count come from it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from hfgate.tasks import GenerationDelta, GenerationParams, Usage
from hfgate.upstream.wire.common import UpstreamText, WireFormatError, as_dict, finish_reason, sub_dict

TGI_PARAMETERS = (
    "best_of",
    "decoder_input_details",
    "details",
    "do_sample",
    "frequency_penalty",
    "grammar",
    "max_new_tokens",
    "repetition_penalty",
    "return_full_text",
    "seed",
    "stop",
    "temperature",
    "top_k",
    "top_n_tokens",
    "top_p",
    "truncate",
    "typical_p",
    "watermark",
)
_FROM_PARAMS = ("max_new_tokens", "temperature", "top_p", "top_k", "repetition_penalty", "seed", "do_sample")


def tgi_parameters(settings: Mapping[str, Any], params: GenerationParams) -> dict[str, Any]:
    """TGI ``parameters``: the stored task settings overlaid with the request's.

    Example:
        >>> sorted(tgi_parameters({"typical_p": 0.9}, GenerationParams(temperature=0.0)).items())
        [('details', True), ('do_sample', False), ('return_full_text', False), ('typical_p', 0.9)]
    """
    merged = {name: value for name, value in settings.items() if name in TGI_PARAMETERS}
    merged.update({name: getattr(params, name) for name in _FROM_PARAMS if getattr(params, name) is not None})
    if params.stop:
        merged["stop"] = list(params.stop)
    if merged.get("temperature") == 0:
        # TGI refuses temperature 0; it means greedy decoding.
        del merged["temperature"]
        merged["do_sample"] = False
    merged["return_full_text"] = False
    merged["details"] = True
    if params.grammar is not None:  # guided generation, passed through to TGI
        value = json.loads(params.grammar.value) if params.grammar.kind == "json" else params.grammar.value
        merged["grammar"] = {"type": params.grammar.kind, "value": value}
    return merged


def generate_payload(prompt: str, parameters: Mapping[str, Any], *, stream: bool = False) -> dict[str, Any]:
    """The body for ``POST /`` (or the hosted model route)."""
    body: dict[str, Any] = {"inputs": prompt, "parameters": dict(parameters)}
    if stream:
        body["stream"] = True
    return body


def parse_generation(body: Any) -> UpstreamText:
    """``[{"generated_text", "details"?}]`` (route ``/``) or ``{"generated_text", "details"?}``.

    Raises:
        WireFormatError: neither.
    """
    if isinstance(body, list):
        if not body:
            raise WireFormatError("expected one generation, got an empty list")
        body = body[0]
    item = as_dict(body, "the generation")
    text = item.get("generated_text")
    if not isinstance(text, str):
        raise WireFormatError("the generation has no [generated_text] string")
    details = sub_dict(item, "details")
    generated = details.get("generated_tokens")
    usage = Usage(completion_tokens=generated) if isinstance(generated, int) else None
    return UpstreamText(text=text, finish_reason=finish_reason(details.get("finish_reason")), usage=usage)


def parse_stream_event(body: Any) -> GenerationDelta:
    """One TGI stream event: a token, and on the last event ``details``; special tokens give no text.

    Raises:
        WireFormatError: the event has no token.
    """
    event = as_dict(body, "a stream event")
    token = event.get("token")
    if not isinstance(token, dict):
        raise WireFormatError("a stream event has no [token]")
    text = "" if token.get("special") else str(token.get("text", ""))
    details = event.get("details")
    if not isinstance(details, dict):
        return GenerationDelta(text=text, token_id=token.get("id"))
    generated = details.get("generated_tokens")
    return GenerationDelta(
        text=text,
        token_id=token.get("id"),
        finish_reason=finish_reason(details.get("finish_reason")),
        usage=Usage(completion_tokens=generated) if isinstance(generated, int) else None,
    )


_UNUSED = re.compile(r"model_kwargs` are not used by the model: \[([^\]]*)\]")


def unused_model_kwargs(reason: str) -> list[str]:
    """The parameters a transformers backend said it does not use (a 400), to drop and retry.

    Example:
        >>> unused_model_kwargs("The following `model_kwargs` are not used by the model: ['watermark']")
        ['watermark']
    """
    found = _UNUSED.search(reason)
    if found is None:
        return []
    return [name.strip().strip("'\"") for name in found.group(1).split(",") if name.strip()]
