"""TEI and TGI request bodies turned into task requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hfgate.api.body import json_type, number, typed
from hfgate.api.grammar import tgi_grammar
from hfgate.api.hf.shapes import MAX_BEST_OF, MAX_STOP_SEQUENCES
from hfgate.errors import EmptyInputError, ParseError, RequestValidationError
from hfgate.tasks import GenerationParams

# Accepted and meaningless here (the defaults of TGI clients), or honoured elsewhere.
_IGNORED = {"truncate", "watermark", "details", "return_full_text", "best_of",
            "clean_up_tokenization_spaces", "truncation", "typical_p", "adapter_id"}  # fmt: skip
_KNOWN = {"do_sample", "max_new_tokens", "repetition_penalty", "seed", "stop", "temperature", "top_k", "top_p",
          "frequency_penalty", "grammar", "generate_parameters", "top_n_tokens", "decoder_input_details",
          *_IGNORED}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class TgiCall:
    """A TGI text-generation request."""

    prompt: str
    params: GenerationParams
    details: bool
    full_text: bool
    stream: bool


def texts(body: dict[str, Any]) -> list[str]:
    """TEI's ``inputs``: a string or a list of strings."""
    value = body.get("inputs")
    items = [value] if isinstance(value, str) else value
    if isinstance(items, list) and not items:
        raise EmptyInputError(["`inputs` cannot be empty"], param="inputs")
    if not isinstance(items, list) or not all(isinstance(t, str) for t in items):
        raise ParseError(f"`inputs` must be a string or an array of strings, got [{json_type(value)}]", param="inputs")
    return items


def tgi_call(body: dict[str, Any], *, stream: bool | None = None) -> TgiCall:
    """TGI's ``{"inputs", "parameters", "stream"}``."""
    prompt = body.get("inputs")
    if not isinstance(prompt, str):
        raise ParseError(f"`inputs` must be a string, got [{json_type(prompt)}]", param="inputs")
    if not prompt:
        raise EmptyInputError(["`inputs` cannot be empty"], param="inputs")
    raw = typed(body, "parameters", kind=dict, default={})
    parameters = {**raw, **_nested(raw.get("generate_parameters"))}
    _refuse(parameters)
    return TgiCall(
        prompt=prompt,
        params=_params(parameters),
        details=bool(parameters.get("details")),
        full_text=bool(parameters.get("return_full_text")),
        stream=bool(body.get("stream")) if stream is None else stream,
    )


def _nested(value: Any) -> dict[str, Any]:
    """``parameters.generate_parameters``: more parameters, merged over the others (an object or null)."""
    if value is None or isinstance(value, dict):
        return value or {}
    raise RequestValidationError(
        [
            f"`parameters.generate_parameters` must be an object of generation parameters such as "
            f'{{"max_new_tokens": 20}}, got [{json_type(value)}]'
        ],
        param="parameters.generate_parameters",
    )


def _params(p: dict[str, Any]) -> GenerationParams:
    stop = p.get("stop") or []
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise ParseError("`parameters.stop` must be an array of strings", param="parameters.stop")
    return GenerationParams(
        max_new_tokens=typed(p, "max_new_tokens", kind=int),
        temperature=number(p, "temperature"),
        top_p=number(p, "top_p"),
        top_k=typed(p, "top_k", kind=int),
        repetition_penalty=number(p, "repetition_penalty"),
        seed=typed(p, "seed", kind=int),
        stop=tuple(stop),
        do_sample=typed(p, "do_sample", kind=bool),
        top_n_tokens=typed(p, "top_n_tokens", kind=int),
        decoder_input_details=typed(p, "decoder_input_details", kind=bool),
        grammar=tgi_grammar(p.get("grammar")),
    )


def _refuse(parameters: dict[str, Any]) -> None:
    unknown = sorted(set(parameters) - _KNOWN)
    if unknown:
        raise RequestValidationError(
            [f"The following `model_kwargs` are not used by the model: {unknown}"], param="parameters"
        )
    best_of = parameters.get("best_of")
    if best_of is not None and (not isinstance(best_of, int) or not 0 < best_of <= MAX_BEST_OF):
        raise RequestValidationError(
            [f"`best_of` must be > 0 and <= {MAX_BEST_OF} (max_best_of in /info). Given: {best_of}"],
            param="parameters.best_of",
        )
    if len(parameters.get("stop") or []) > MAX_STOP_SEQUENCES:
        raise RequestValidationError(
            [f"`stop` supports up to {MAX_STOP_SEQUENCES} stop sequences. Given: {len(parameters['stop'])}"],
            param="parameters.stop",
        )
    if parameters.get("frequency_penalty") not in (None, 0, 0.0):
        raise RequestValidationError(
            ["`frequency_penalty` is not supported; use `repetition_penalty`"], param="parameters.frequency_penalty"
        )
