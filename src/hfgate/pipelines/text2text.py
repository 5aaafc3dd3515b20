"""What summarization and translation share: a text (or texts) rewritten by an encoder-decoder model with
its own generation config, ``generate_parameters`` over it (transformers' names: ``max_new_tokens``,
``num_beams``, ``do_sample``…)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hfgate.pipelines.base import PipelineRequest
from hfgate.pipelines.fields import Parameters, filtered, texts

TRUNCATIONS = ("do_not_truncate", "longest_first", "only_first", "only_second")

GENERATE_PARAMETERS = {
    "max_new_tokens": int,
    "min_new_tokens": int,
    "max_length": int,
    "min_length": int,
    "num_beams": int,
    "do_sample": bool,
    "temperature": float,
    "top_k": int,
    "top_p": float,
    "repetition_penalty": float,
    "length_penalty": float,
    "no_repeat_ngram_size": int,
    "early_stopping": bool,
    "seed": int,
}
"""The generation controls a request may set (the Hub's ``generate_parameters``), and their types."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Rewrite(PipelineRequest):
    texts: tuple[str, ...]
    listed: bool = False
    generate: Mapping[str, Any] = field(default_factory=dict)
    clean_up_tokenization_spaces: bool = False
    truncation: str | None = None


def generate_parameters(p: Parameters) -> dict[str, Any]:
    """``parameters.generate_parameters``, each checked against its type.

    Raises:
        RequestValidationError: an unknown control, or one of the wrong type.
    """
    given = dict(p.mapping("generate_parameters"))
    for name, value in given.items():
        kind = GENERATE_PARAMETERS.get(name)
        if kind is None:
            raise Parameters.invalid(
                f"generate_parameters.{name}", f"is not a generation control; use: {', '.join(GENERATE_PARAMETERS)}"
            )
        ok = isinstance(value, bool) if kind is bool else isinstance(value, kind | int) and not isinstance(value, bool)
        if not ok or (kind is not bool and not value >= 0):
            named = {bool: "true or false", int: "an integer", float: "a number"}[kind]
            raise Parameters.invalid(f"generate_parameters.{name}", f"must be {named} of at least 0, got [{value!r}]")
        within, shown = BOUNDS.get(name, (None, ""))
        if within is not None and not within(value):
            raise Parameters.invalid(f"generate_parameters.{name}", f"must be {shown}, got [{value!r}]")
    if given.get("do_sample") and given.get("temperature") == 0:
        raise Parameters.invalid(
            "generate_parameters.temperature", "must be above 0 when sampling; for greedy decoding set do_sample false"
        )
    return given


BOUNDS: dict[str, tuple[Callable[[float], bool], str]] = {
    "num_beams": (lambda v: 1 <= v <= 32, "between 1 and 32"),
    "top_p": (lambda v: 0 < v <= 1, "above 0 and at most 1"),
    "repetition_penalty": (lambda v: v > 0, "above 0"),
}
"""Controls whose values transformers' ``generate`` refuses or cannot hold (a million beams) outside these
bounds. Lengths are cut to the model's window by the runner instead (as a chat's ``max_tokens`` is)."""


REWRITE_PARAMETERS = ("generate_parameters", "clean_up_tokenization_spaces", "truncation")
"""The parameters every rewrite takes."""


def rewrite_fields(inputs: Any, p: Parameters) -> dict[str, Any]:
    """What every rewrite reads: the texts, the generation controls, the cleaning and the truncation.

    Raises:
        RequestValidationError: a field is missing or wrong; the message names it.
    """
    read, listed = texts(inputs)
    return {
        "texts": read,
        "listed": listed,
        "generate": generate_parameters(p),
        "clean_up_tokenization_spaces": bool(p.flag("clean_up_tokenization_spaces")),
        "truncation": p.choice("truncation", TRUNCATIONS),
    }


def rewrite_payload(request: Rewrite, **more: Any) -> dict[str, Any]:
    """``request`` as the Inference API's body, with the task's ``more`` parameters."""
    inputs = list(request.texts) if request.listed else request.texts[0]
    generate = dict(request.generate) or None
    return {
        "inputs": inputs,
        "parameters": filtered({**more, "generate_parameters": generate, "truncation": request.truncation}),
    }
