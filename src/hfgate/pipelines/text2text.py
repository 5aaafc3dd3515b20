"""What summarization and translation share: a text (or texts) rewritten by an encoder-decoder model with
its own generation config, ``generate_parameters`` over it (transformers' names: ``max_new_tokens``,
``num_beams``, ``do_sample``…)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hfgate.pipelines.base import PipelineRequest
from hfgate.pipelines.fields import Parameters

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
        if not ok or (kind is not bool and value < 0):
            raise Parameters.invalid(
                f"generate_parameters.{name}", f"must be a {kind.__name__} of at least 0, got [{value!r}]"
            )
    return given
