"""What the local models make of the request fields hfgate passes through untranslated
(``GenerationParams.passthrough``, see docs/api/openai.md, "Fields hfgate does not know").

``min_p`` is honoured by the sampler (vLLM's and transformers' meaning: drop the tokens less likely than
``min_p`` times the likeliest). A field whose meaning the local sampler would silently get wrong is
refused with a 400 naming it; every other field (``user``, ``metadata``, ``store``, ``service_tier``,
``prompt_cache_key``, ``reasoning_effort``, ``chat_template_kwargs``…) is accepted and has no effect.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hfgate.errors import BadRequestError

REFUSED: dict[str, str] = {
    "logit_bias": "the local sampler has no per-token bias; leave it out (an engine such as vLLM takes it)",
    "presence_penalty": "use [repetition_penalty] instead",
    "frequency_penalty": "use [repetition_penalty] instead",
}
"""Field → the fix, for the fields refused when set to anything but their no-op value (0, {}, null)."""


def refuse_unhonoured(passthrough: Mapping[str, Any]) -> None:
    """Refuse the passed-through fields the local models would get wrong.

    Raises:
        BadRequestError: naming the field and the fix.

    Example:
        >>> refuse_unhonoured({"presence_penalty": 0, "metadata": {"k": "v"}})
    """
    for name, fix in REFUSED.items():
        if passthrough.get(name) not in (None, 0, {}):
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
