"""Turning a conversation into a prompt with the model's own chat template."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hfgate.chat.messages import ChatMessage
from hfgate.chat.tools import Tool
from hfgate.errors import BadRequestError
from hfgate.local.generation.tool_prompt import (
    hermes_turns,
    knows_tools,
    template_turns,
    tool_schema,
    with_tool_prompt,
)


def render_chat(
    tokenizer: Any,
    messages: Sequence[ChatMessage],
    *,
    tools: Sequence[Tool] = (),
    tool_prompt: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> str:
    """The prompt text for ``messages``, ending where the assistant's answer begins; ``tools`` (and
    earlier tool calls and results, and a request's ``tool_prompt``) rendered as the ``tool_prompt``
    module says; ``variables`` are the request's ``chat_template_kwargs``, given to the template.

    Raises:
        BadRequestError: the model has no chat template, so it cannot serve ``chat_completion``.

    Example:
        >>> # render_chat(tokenizer, [ChatMessage(role="user", content="Hi")])
        >>> # '<|im_start|>system\\n…<|im_end|>\\n<|im_start|>user\\nHi<|im_end|>\\n<|im_start|>assistant\\n'
    """
    if not getattr(tokenizer, "chat_template", None):
        raise BadRequestError(
            "The model has no chat template, so it cannot answer [chat_completion]; use a chat model, or "
            "the [completion] task type with a prompt you format yourself"
        )
    extra = dict(variables or {})
    if tools or any(m.tool_calls or m.tool_call_id is not None for m in messages):
        return _render_with_tools(tokenizer, messages, tools, tool_prompt=tool_prompt if tools else None, extra=extra)
    turns = [{"role": m.role, "content": m.content} for m in messages]
    text: str = tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True, **extra)
    return text


def _render_with_tools(
    tokenizer: Any,
    messages: Sequence[ChatMessage],
    tools: Sequence[Tool],
    *,
    tool_prompt: str | None,
    extra: dict[str, Any],
) -> str:
    if knows_tools(tokenizer):
        schemas = [tool_schema(t) for t in tools] or None
        turns_with = with_tool_prompt(template_turns(messages), tool_prompt)
        text: str = tokenizer.apply_chat_template(
            turns_with, tools=schemas, tokenize=False, add_generation_prompt=True, **extra
        )
        return text
    turns = hermes_turns(messages, tools, intro=tool_prompt)
    rendered: str = tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True, **extra)
    return rendered
