"""Completion over OpenAI's ``/v1/completions``, as vLLM, SGLang and llama.cpp serve it.

The body carries ``prompt`` and OpenAI's sampling fields; the answer is ``choices[0].text`` with a
``finish_reason`` and ``usage``. A stream is ``data: {chunk}`` events ending with ``data: [DONE]``;
usage comes in a last chunk with no choices when ``stream_options.include_usage`` is set (vLLM
``docs/serving/online_serving``; llama.cpp ``tools/server/README.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hfgate.tasks import GenerationDelta, GenerationParams
from hfgate.upstream.wire.chat import sampling_options, usage_of
from hfgate.upstream.wire.common import UpstreamText, WireFormatError, as_dict, finish_reason

_NOT_FOR_COMPLETIONS = frozenset({"response_format", "tools", "tool_choice", "top_logprobs"})


def completions_payload(
    *, model: str, prompt: str, settings: Mapping[str, Any], params: GenerationParams, stream: bool
) -> dict[str, Any]:
    """The body: stored task settings, then the request's parameters, then the prompt."""
    body = sampling_options(settings, params, leave_out=_NOT_FOR_COMPLETIONS)
    if model:
        body["model"] = model
    body |= {"prompt": prompt, "stream": stream}
    if stream:
        body["stream_options"] = {"include_usage": True}
    return body


def parse_completion(body: Any) -> UpstreamText:
    """A ``text_completion`` object: the first choice's text, its finish reason and the usage.

    Raises:
        WireFormatError: no choice with a text.

    Example:
        >>> parse_completion({"choices": [{"text": " hi", "finish_reason": "length"}]}).finish_reason
        'length'
    """
    answer = as_dict(body, "the completion")
    choices = answer.get("choices")
    if not isinstance(choices, list) or not choices:
        raise WireFormatError("the completion has no [choices]")
    choice = as_dict(choices[0], "a choice")
    text = choice.get("text")
    if not isinstance(text, str):
        raise WireFormatError("the completion's choice has no [text] string")
    return UpstreamText(text=text, finish_reason=finish_reason(choice.get("finish_reason")), usage=usage_of(answer))


def parse_completion_chunk(body: Any) -> GenerationDelta:
    """One streamed chunk: its text, and the finish reason and usage when given."""
    chunk = as_dict(body, "a completion chunk")
    choices = chunk.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
    text = choice.get("text")
    reason = choice.get("finish_reason")
    return GenerationDelta(
        text=text if isinstance(text, str) else "",
        finish_reason=finish_reason(reason) if reason else None,
        usage=usage_of(chunk),
    )
