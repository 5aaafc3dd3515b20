"""Turning a conversation into a prompt with the model's own chat template."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hfgate.errors import BadRequestError
from hfgate.tasks import ChatMessage


def render_chat(tokenizer: Any, messages: Sequence[ChatMessage]) -> str:
    """The prompt text for ``messages``, ending where the assistant's answer begins.

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
    turns = [{"role": m.role, "content": m.content} for m in messages]
    text: str = tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True)
    return text
