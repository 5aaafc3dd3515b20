"""``/v1/embeddings`` with ``messages`` (vLLM's OpenAI-compatible server): a chat-shaped request whose
content parts are ``text`` and ``image_url``, answered with one vector, as vLLM answers it.

hfgate's image-and-text models (CLIP, SigLIP) embed one text or one image per vector, so the messages must
hold one content part in all; an ``image_url`` is a base64 data URI (hfgate fetches no URL). Without
``messages``, ``input`` is read as OpenAI's (``requests.embedding_texts``).
"""

from __future__ import annotations

from typing import Any

from hfgate.api.body import json_type
from hfgate.api.openai.requests import embedding_texts
from hfgate.api.openai.schema import EmbeddingsBody
from hfgate.errors import ParseError
from hfgate.images import ImageInput, image_from_data_uri, split_contents

Contents = tuple[tuple[str, ...], tuple[ImageInput | None, ...]]


def embedding_contents(request: EmbeddingsBody) -> Contents:
    """The texts and images to embed (``EmbedRequest.texts`` and ``images``).

    Raises:
        ParseError: ``input`` and ``messages`` both or neither, a part hfgate cannot read, or not exactly
            one content part in ``messages`` (naming the field).
        PayloadTooLargeError: an image over ``images.MAX_IMAGE_BYTES``.
    """
    if request.messages is None:
        return tuple(embedding_texts(request)), ()
    if request.input is not None:
        raise ParseError("Send [input] or [messages], not both", param="messages")
    parts = _parts(request.messages)
    if len(parts) != 1:
        raise ParseError(
            f"[messages] hold [{len(parts)}] content parts; hfgate's models embed one text or one image per "
            "vector: send one part per request (or texts in [input])",
            param="messages",
        )
    return split_contents(parts)


def _parts(messages: list[Any]) -> list[str | ImageInput]:
    if not messages:
        raise ParseError("[messages] must be a non-empty array, got [array]", param="messages")
    parts: list[str | ImageInput] = []
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(_part(part, f"messages[{i}].content[{j}]") for j, part in enumerate(content))
        else:
            raise ParseError(
                f"[messages[{i}].content] must be a string or an array of parts, got [{json_type(content)}]",
                param=f"messages[{i}].content",
            )
    return parts


def _part(part: Any, where: str) -> str | ImageInput:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind == "text" and isinstance(part.get("text"), str):
        return str(part["text"])
    if kind == "image_url":
        url = part.get("image_url")
        url = url.get("url") if isinstance(url, dict) else url
        return image_from_data_uri(url, item=where, field=f"{where}.image_url.url")
    raise ParseError(
        f"[{where}] must be a part {{'type': 'text', 'text': …}} or {{'type': 'image_url', 'image_url': "
        f"{{'url': 'data:image/png;base64,…'}}}}, got type [{kind}]",
        param=f"{where}.type",
    )
