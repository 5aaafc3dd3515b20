"""text2text-generation: the same request as text-generation, an answer with no prompt echo."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hfgate.upstream.wire.common import UpstreamText, WireFormatError, as_dict
from hfgate.upstream.wire.tgi import TGI_PARAMETERS

# Parameters a TGI-only server understands but a transformers text2text pipeline refuses.
_TGI_ONLY = frozenset({"details", "decoder_input_details", "return_full_text", "best_of", "top_n_tokens", "grammar"})
TEXT2TEXT_EXTRA = ("clean_up_tokenization_spaces", "truncation")


def text2text_parameters(tgi_parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The generation parameters a text2text pipeline takes (passed through to ``generate``)."""
    kept = {k: v for k, v in tgi_parameters.items() if k in TGI_PARAMETERS and k not in _TGI_ONLY}
    return kept | {k: v for k, v in tgi_parameters.items() if k in TEXT2TEXT_EXTRA}


def parse_text2text(body: Any) -> UpstreamText:
    """``[{"generated_text": …}]`` (or the object alone).

    Raises:
        WireFormatError: neither.

    Example:
        >>> parse_text2text([{"generated_text": "Bonjour"}]).text
        'Bonjour'
    """
    if isinstance(body, list):
        if not body:
            raise WireFormatError("expected one generation, got an empty list")
        body = body[0]
    text = as_dict(body, "the generation").get("generated_text")
    if not isinstance(text, str):
        raise WireFormatError("the generation has no [generated_text] string")
    return UpstreamText(text=text, finish_reason="eos_token")
