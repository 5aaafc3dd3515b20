"""A conversation's turns: chat messages and the parts of their content (text, images)."""

from __future__ import annotations

from dataclasses import dataclass

from hfgate.chat.tools import ToolCall


@dataclass(frozen=True, slots=True, kw_only=True)
class TextPart:
    """A text part of a message's content."""

    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ImagePart:
    """An image part of a message's content (OpenAI's ``image_url``): an ``http(s)://`` url or a
    ``data:image/…;base64,…`` url, and OpenAI's ``detail`` (``auto``, ``low``, ``high``) when given."""

    url: str
    detail: str | None = None


ContentPart = TextPart | ImagePart


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatMessage:
    """One turn of a conversation.

    ``content`` is the message's text (its text parts joined; ``""`` for an assistant turn that only
    calls tools, sent as ``content: null``). ``parts`` is empty unless the content held a part other
    than text (an image): then it holds every part, in order, so ``parts[j]`` is ``content[j]`` of the
    request. An assistant turn may carry ``tool_calls``; a ``tool`` turn answers the call
    ``tool_call_id``. ``name`` is OpenAI's optional participant name.
    """

    role: str
    content: str
    parts: tuple[ContentPart, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
