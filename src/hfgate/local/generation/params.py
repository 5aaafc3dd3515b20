"""Generation parameters as the orchestrator gives them (the request's over the endpoint's stored ones,
checked there), with ours where neither sets one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hfgate.errors import BadRequestError
from hfgate.local.generation.request_fields import min_p, refuse_unhonoured
from hfgate.tasks import GenerationParams, Grammar

DEFAULT_MAX_NEW_TOKENS = 256
MAX_TOP_N_TOKENS = 5  # TGI's default --max-top-n-tokens


@dataclass(frozen=True, slots=True, kw_only=True)
class DecodingParams:
    """Every control of one generation, with nothing left unset.

    ``top_k`` 0, ``top_p`` 1.0 and ``min_p`` 0 switch those filters off; ``do_sample`` False (or a temperature of 0)
    picks the most likely token at each step.
    """

    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    do_sample: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    min_p: float = 0.0
    repetition_penalty: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = ()
    top_n_tokens: int = 0
    prefill: bool = False
    grammar: Grammar | None = None

    @property
    def greedy(self) -> bool:
        return not self.do_sample or self.temperature == 0


def resolve_params(params: GenerationParams) -> DecodingParams:
    """``params`` where set (the orchestrator merged the endpoint's stored settings in), else ours.

    Sampling is on when ``do_sample`` says so or, if it is unset, when a temperature above 0 is set.

    Raises:
        BadRequestError: ``top_n_tokens`` is out of range, or a passed-through field the local models would
            get wrong is set (``request_fields``); the reason names the parameter.

    Example:
        >>> resolve_params(GenerationParams(temperature=0.7)).do_sample
        True
    """

    def pick(name: str, fallback: Any) -> Any:
        given = getattr(params, name)
        return given if given is not None else fallback

    refuse_unhonoured(params.passthrough)
    temperature = pick("temperature", None)
    do_sample = pick("do_sample", None)
    resolved = DecodingParams(
        max_new_tokens=int(pick("max_new_tokens", DEFAULT_MAX_NEW_TOKENS)),
        do_sample=bool(do_sample) if do_sample is not None else bool(temperature),
        temperature=float(temperature if temperature is not None else 1.0),
        top_p=float(pick("top_p", 1.0)),
        top_k=int(pick("top_k", 0)),
        min_p=min_p(params.passthrough),
        repetition_penalty=float(pick("repetition_penalty", 1.0)),
        seed=pick("seed", None),
        stop=tuple(params.stop),
        top_n_tokens=int(params.top_n_tokens or 0),
        prefill=bool(params.decoder_input_details),
        grammar=params.grammar,
    )
    _check(resolved)
    return resolved


def _check(params: DecodingParams) -> None:
    """``top_n_tokens``, TGI's own, in its range (the controls of every service are checked, once, by
    :func:`hfgate.services.generation_settings.merged_params`)."""
    if not 0 <= params.top_n_tokens <= MAX_TOP_N_TOKENS:
        raise BadRequestError(
            f"Invalid value [{params.top_n_tokens}]. [top_n_tokens] must be between [0] and [{MAX_TOP_N_TOKENS}]",
            param="top_n_tokens",
        )
