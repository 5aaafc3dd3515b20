"""TEI and TGI requests, decoded by :mod:`hfgate.api.hf.schema`, turned into task requests.

TGI's guided generation, ``parameters.grammar`` (``{"type": "json", "value": schema}`` or ``{"type":
"regex", "value": re}``), becomes a :class:`~hfgate.tasks.Grammar`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hfgate.api.body import json_type
from hfgate.api.hf.schema import Sampling, TgiRequest
from hfgate.api.hf.shapes import MAX_BEST_OF, MAX_STOP_SEQUENCES
from hfgate.errors import EmptyInputError, RequestValidationError
from hfgate.tasks import GenerationParams, Grammar


@dataclass(frozen=True, slots=True, kw_only=True)
class TgiCall:
    """A TGI text-generation request."""

    prompt: str
    params: GenerationParams
    details: bool
    full_text: bool
    stream: bool


def texts(inputs: list[str]) -> tuple[str, ...]:
    """TEI's ``inputs``, which may not be an empty array.

    Raises:
        EmptyInputError: no text.
    """
    if not inputs:
        raise EmptyInputError(["`inputs` cannot be empty"], param="inputs")
    return tuple(inputs)


def tgi_call(body: TgiRequest, *, stream: bool | None = None) -> TgiCall:
    """TGI's ``{"inputs", "parameters", "stream"}``, with ``parameters.generate_parameters`` taken over the
    parameters beside it.

    Raises:
        EmptyInputError: ``inputs`` is empty.
        RequestValidationError: a parameter TGI does not know, or one beyond what ``/info`` announces.
    """
    if not body.inputs:
        raise EmptyInputError(["`inputs` cannot be empty"], param="inputs")
    outer = body.parameters
    nested = outer.generate_parameters if outer is not None else None
    p = _merged(outer, nested)
    _refuse(p)
    return TgiCall(
        prompt=body.inputs,
        params=GenerationParams(
            max_new_tokens=p.max_new_tokens,
            temperature=p.temperature,
            top_p=p.top_p,
            top_k=p.top_k,
            repetition_penalty=p.repetition_penalty,
            seed=p.seed,
            stop=tuple(p.stop or ()),
            do_sample=p.do_sample,
            top_n_tokens=p.top_n_tokens,
            decoder_input_details=p.decoder_input_details,
            grammar=tgi_grammar(p.grammar),
        ),
        details=bool(p.details),
        full_text=bool(p.return_full_text),
        stream=bool(body.stream) if stream is None else stream,
    )


def _merged(outer: Sampling | None, nested: Sampling | None) -> Sampling:
    """The parameters, those of ``generate_parameters`` over those beside it."""
    if outer is None:
        return Sampling()
    if nested is None:
        return outer
    given = {**_set(outer), **_set(nested)}
    given.pop("generate_parameters", None)
    return Sampling.model_validate(given)


def _set(parameters: Sampling) -> dict[str, Any]:
    return {name: getattr(parameters, name) for name in parameters.model_fields_set} | (parameters.model_extra or {})


def _refuse(p: Sampling) -> None:
    """TGI's own refusals, word for word: clients read the unused ``model_kwargs`` to retry without them."""
    unknown = sorted(p.model_extra or {})
    if unknown:
        raise RequestValidationError(
            [f"The following `model_kwargs` are not used by the model: {unknown}"], param="parameters"
        )
    if p.best_of is not None and not 0 < p.best_of <= MAX_BEST_OF:
        raise RequestValidationError(
            [f"`best_of` must be > 0 and <= {MAX_BEST_OF} (max_best_of in /info). Given: {p.best_of}"],
            param="parameters.best_of",
        )
    if len(p.stop or ()) > MAX_STOP_SEQUENCES:
        raise RequestValidationError(
            [f"`stop` supports up to {MAX_STOP_SEQUENCES} stop sequences. Given: {len(p.stop or ())}"],
            param="parameters.stop",
        )
    if p.frequency_penalty not in (None, 0, 0.0):
        raise RequestValidationError(
            ["`frequency_penalty` is not supported; use `repetition_penalty`"], param="parameters.frequency_penalty"
        )


def tgi_grammar(raw: Any) -> Grammar | None:
    """TGI's ``grammar`` parameter.

    Raises:
        RequestValidationError: not an object with a known ``type`` and a ``value`` of the right type.
    """
    if raw is None:
        return None
    field = "parameters.grammar"
    if not isinstance(raw, dict) or raw.get("type") not in ("json", "regex"):
        raise RequestValidationError(
            [f'`grammar` must be {{"type": "json" | "regex", "value": …}}, got [{json.dumps(raw)[:200]}]'], param=field
        )
    value = raw.get("value")
    if raw["type"] == "regex":
        if not isinstance(value, str) or not value:
            raise RequestValidationError([f"`grammar.value` must be a regular expression, got [{json_type(value)}]"],
                                         param=field)  # fmt: skip
        return Grammar(kind="regex", value=value, field=field)
    return Grammar(kind="json", value=_schema_text(value, field=field), field=field)


def _schema_text(value: Any, *, field: str) -> str:
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, str) and value.strip():
        return value
    raise RequestValidationError([f"`grammar.value` must be a JSON schema, got [{json_type(value)}]"], param=field)
