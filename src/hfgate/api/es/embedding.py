"""Elasticsearch's ``embedding`` task type (9.4; content arrays 9.5): ``POST _inference/embedding/{id}``.

The 9.x clients' ``inference.embedding`` call (spec ``inference/embedding/EmbeddingRequest.ts``,
``inference/_types/CommonTypes.ts`` ``RequestEmbedding``). ``input`` is a string, a list of strings, a
content object or a list of them; a content object is ``{"content": item}`` or, from 9.5,
``{"content": [item, …]}``, and an item is ``{"type", "format"?, "value"}`` with ``type`` one of
``text``, ``image``, ``audio``, ``video``, ``pdf`` and ``format`` ``text`` (for text) or ``base64``.
The answer is ``{"embeddings": [{"embedding": […]}]}``: one vector per string or content object.

hfgate's embedding models read text, and image-and-text models (CLIP, SigLIP) images too: a content
object holds one ``text`` or ``image`` item (a 9.5 array of one item too), an image's ``value`` a base64
data URI (``data:image/png;base64,…``); audio, video and pdf are refused naming the item
(``[input][1].content.type``, ``[input][1].content[0].type``), as is an array of several items (no model
here fuses them into one vector). A text model refuses an image (the orchestrator, naming the item's
``type``). Served by ``embedding`` endpoints and by ``text_embedding`` ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hfgate.api.body import json_type
from hfgate.api.es.requests import required_input
from hfgate.errors import RequestValidationError
from hfgate.images import ImageInput, image_from_data_uri, split_contents

TYPES = ("text", "image", "audio", "video", "pdf")  # Elasticsearch 9.5's EmbeddingContentType
FORMATS = {"text": "text"}  # the format each type must have; every other type: base64
EMBEDDED = ("text", "image")  # the types hfgate embeds

Content = str | ImageInput  # one content object's item


def embedding_inputs(raw: Any) -> tuple[tuple[str, ...], tuple[ImageInput | None, ...]]:
    """The texts of an ``embedding`` request's ``input``, one per vector to answer (``""`` for an image), and
    its images (none when it has none, else one per text: the image where the place holds one).

    Raises:
        RequestValidationError: ``input`` missing, of the wrong type, or holding content other than text and images.
        EmptyInputError: ``input`` is an empty list.
        PayloadTooLargeError: an image over ``images.MAX_IMAGE_BYTES``.
    """
    return split_contents(_contents(raw))


def _contents(raw: Any) -> list[Content]:
    items = required_input(raw if raw is None or isinstance(raw, list) else [raw])
    return [_content_of(item, f"[input][{index}]") for index, item in enumerate(items)]


def _content_of(item: Any, where: str) -> Content:
    if isinstance(item, str):
        return item
    content = item.get("content") if isinstance(item, dict) and set(item) == {"content"} else None
    if isinstance(content, list):
        return _only_item(content, f"{where}.content")
    if not isinstance(content, dict):
        raise _invalid(
            f'Field {where} must be a string or an object {{"content": {{"type": "text", "value": "…"}}}} '
            f'(or, from Elasticsearch 9.5, {{"content": [{{…}}]}}), got [{json_type(item)}]'
        )
    return _item_content(content, f"{where}.content")


def _only_item(items: list[Any], where: str) -> Content:
    if not items:
        raise _invalid(f"Field {where} cannot be an empty array")
    contents = [_item_content(item, f"{where}[{index}]") for index, item in enumerate(items)]
    if len(contents) > 1:
        raise _invalid(
            f"Field {where} holds [{len(contents)}] items; hfgate's models embed one text or image per vector and "
            "cannot join several items into one: send each as its own content object"
        )
    return contents[0]


def _item_content(item: Any, where: str) -> Content:
    if not isinstance(item, dict):
        raise _invalid(f'Field {where} must be an object {{"type", "format", "value"}}, got [{json_type(item)}]')
    unknown = sorted(set(item) - {"type", "format", "value"})
    if unknown:
        raise _invalid(f"Field {where} has unknown field(s) {unknown}; an item has [type, format, value]")
    kind = item.get("type")
    if kind not in TYPES:
        raise _invalid(f"Field {where}.type must be one of {list(TYPES)}, got [{kind}]")
    if kind not in EMBEDDED:
        raise _invalid(f"Field {where}.type [{kind}] is not supported: hfgate embeds [text] and [image] only")
    wanted = FORMATS.get(kind, "base64")
    if item.get("format", wanted) != wanted:
        raise _invalid(f"Field {where}.format must be [{wanted}] for a [{kind}] item, got [{item['format']}]")
    value = item.get("value")
    if kind == "image":
        return image_from_data_uri(value, item=where, field=f"{where}.value")
    if not isinstance(value, str):
        raise _invalid(f"Field {where}.value must be a string, got [{json_type(value)}]")
    return value


def _invalid(problem: str) -> RequestValidationError:
    return RequestValidationError([problem], param="input")


def embeddings_body(vectors: Sequence[list[float]] | tuple[Any, ...]) -> dict[str, Any]:
    return {"embeddings": [{"embedding": vector} for vector in vectors]}
