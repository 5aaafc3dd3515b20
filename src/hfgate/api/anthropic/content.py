"""A Messages API conversation (``system`` and ``messages``, decoded by :mod:`~hfgate.api.anthropic.schema`)
as chat messages.

A user turn's ``tool_result`` blocks become ``tool`` turns (before the rest of its content, as Anthropic
requires them first); an assistant turn's ``tool_use`` blocks become its tool calls. Thinking blocks sent
back are dropped: no chat template reads a model's earlier reasoning back. ``cache_control`` on any block
is read and ignored (hfgate keeps no prompt cache).

A ``system`` message inside ``messages`` (Claude Code since 2.1.154 puts its environment block there) is
not a turn: its text joins the system prompt, after ``system`` and after any earlier such message, as
vLLM does since its PR #44283 (left in place, a chat template either refuses a system turn after the first
or reads it as the user's words, and tool calling suffers: vLLM issue #48874).
"""

from __future__ import annotations

import orjson

from hfgate.api.anthropic import schema
from hfgate.api.chat_schema import nonempty_conversation
from hfgate.chat.messages import ChatMessage, ContentPart, ImagePart, TextPart
from hfgate.chat.tools import ToolCall

_NO_TURN = (
    "a system message's text joins the system prompt and a user message of no content blocks adds no turn, "
    "and here no system text or turn is left; send at least one user message with a text block"
)


def conversation(system: list[schema.TextBlock] | None, messages: list[schema.Message]) -> tuple[ChatMessage, ...]:
    """``system`` and ``messages`` as chat turns: one system message first (``system``, then the text of
    every ``system`` message of ``messages``, in order), then the user and assistant turns.

    Raises:
        EmptyInputError: nothing is left (no system text, no turn); the message names ``messages``.
    """
    prompts = [_joined(system)] if system is not None else []
    turns: list[ChatMessage] = []
    for message in messages:
        if isinstance(message, schema.SystemMessage):
            prompts.append(_joined(message.content))
        elif isinstance(message, schema.AssistantMessage):
            turns.append(_assistant(message.content))
        else:
            turns.extend(_user(message.content))
    prompt = "\n\n".join(p for p in prompts if p)
    folded = (ChatMessage(role="system", content=prompt), *turns) if prompt else tuple(turns)
    return nonempty_conversation(folded, field="messages", why=_NO_TURN)


def _joined(blocks: list[schema.TextBlock]) -> str:
    """A system prompt's text blocks, joined by a blank line."""
    return "\n\n".join(block.text for block in blocks)


def _assistant(blocks: list[schema.AssistantBlock]) -> ChatMessage:
    """Text and tool calls; thinking blocks sent back are dropped."""
    texts = [block.text for block in blocks if isinstance(block, schema.TextBlock)]
    calls = tuple(
        ToolCall(id=block.id, name=block.name, arguments=orjson.dumps(block.input).decode())
        for block in blocks
        if isinstance(block, schema.ToolUseBlock)
    )
    return ChatMessage(role="assistant", content="".join(texts), tool_calls=calls)


def _user(blocks: list[schema.UserBlock]) -> list[ChatMessage]:
    """The tool results as ``tool`` turns, then the text and images as one user turn (if any)."""
    results: list[ChatMessage] = []
    parts: list[ContentPart] = []
    for block in blocks:
        if isinstance(block, schema.ToolResultBlock):
            results.append(_tool_result(block))
        elif isinstance(block, schema.TextBlock):
            parts.append(TextPart(text=block.text))
        else:
            parts.append(_image(block.source))
    if not parts:
        return results
    text = "".join(p.text for p in parts if isinstance(p, TextPart))
    images = any(isinstance(p, ImagePart) for p in parts)
    return [*results, ChatMessage(role="user", content=text, parts=tuple(parts) if images else ())]


def _tool_result(block: schema.ToolResultBlock) -> ChatMessage:
    content = "".join(part.text for part in block.content)
    if block.is_error is True:
        content = f"Error: {content}"
    return ChatMessage(role="tool", content=content, tool_call_id=block.tool_use_id)


def _image(source: schema.Base64Source | schema.UrlSource) -> ImagePart:
    if isinstance(source, schema.UrlSource):
        return ImagePart(url=source.url)
    return ImagePart(url=f"data:{source.media_type};base64,{source.data}")
