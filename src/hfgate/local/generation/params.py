"""Generation parameters as the orchestrator gives them (the request's over the endpoint's stored ones,
checked there), with ours where neither sets one; and what the local models make of the request fields
hfgate passes through untranslated (``GenerationParams.passthrough``, see docs/api/openai.md, "Fields
hfgate does not know").

``min_p`` is honoured by the sampler (vLLM's and transformers' meaning: drop the tokens less likely than
``min_p`` times the likeliest), and ``chat_template_kwargs`` by the chat template (vLLM's meaning: extra
variables for the template, such as Qwen3's ``enable_thinking``). A field whose meaning the local models
would silently get wrong is refused with a 400 naming it; every other field (``user``, ``metadata``,
``store``, ``service_tier``, ``prompt_cache_key``, ``reasoning_effort``…) is accepted and has no effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfgate.errors import BadRequestError
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
            get wrong is set (:data:`REFUSED`); the reason names the parameter.

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
    :func:`hfgate.services.spec.merged_params`)."""
    if not 0 <= params.top_n_tokens <= MAX_TOP_N_TOKENS:
        raise BadRequestError(
            f"Invalid value [{params.top_n_tokens}]. [top_n_tokens] must be between [0] and [{MAX_TOP_N_TOKENS}]",
            param="top_n_tokens",
        )


REFUSED: dict[str, str] = {
    "logit_bias": "the local sampler has no per-token bias; leave it out (an engine such as vLLM takes it)",
    "presence_penalty": "use [repetition_penalty] instead",
    "frequency_penalty": "use [repetition_penalty] instead",
    "functions": "send them as [tools] (OpenAI's older [functions] are not read here)",
}
"""Field → the fix, for the fields refused when set to anything but their no-op value (0, {}, [], null)."""


def refuse_unhonoured(passthrough: Mapping[str, Any]) -> None:
    """Refuse the passed-through fields the local models would get wrong.

    Raises:
        BadRequestError: naming the field and the fix.

    Example:
        >>> refuse_unhonoured({"presence_penalty": 0, "metadata": {"k": "v"}})
    """
    for name, fix in REFUSED.items():
        if passthrough.get(name) not in (None, 0, {}, []):
            raise BadRequestError(f"[{name}] is not supported by the local models: {fix}", param=name)


def min_p(passthrough: Mapping[str, Any]) -> float:
    """``min_p`` as a number (0, switched off, when not given).

    Raises:
        BadRequestError: not a number between 0 and 1.
    """
    value = passthrough.get("min_p")
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise BadRequestError(f"Invalid value [{value}]. [min_p] must be between [0] and [1]", param="min_p")
    return float(value)


_TEMPLATE_OWN = frozenset({
    "conversation", "tools", "documents", "chat_template", "add_generation_prompt", "continue_final_message",
    "tokenize", "padding", "truncation", "max_length", "return_tensors", "return_dict", "tokenizer_kwargs",
    "return_assistant_tokens_mask", "messages",
})  # fmt: skip
"""Arguments of ``apply_chat_template`` itself (and the ``messages`` it renders): not template variables."""


def template_kwargs(passthrough: Mapping[str, Any]) -> dict[str, Any]:
    """``chat_template_kwargs``: the variables the chat template is rendered with (empty when not given).

    Raises:
        BadRequestError: not an object, or a key that is the renderer's own argument; naming it.

    Example:
        >>> template_kwargs({"chat_template_kwargs": {"enable_thinking": False}})
        {'enable_thinking': False}
    """
    value = passthrough.get("chat_template_kwargs")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequestError(
            '[chat_template_kwargs] must be an object of template variables, e.g. {"enable_thinking": false}',
            param="chat_template_kwargs",
        )
    for key in value:
        if key in _TEMPLATE_OWN:
            raise BadRequestError(
                f"[chat_template_kwargs.{key}] is set by hfgate, not by the request; leave it out",
                param=f"chat_template_kwargs.{key}",
            )
    return dict(value)
