"""Elasticsearch 9.4's ``embedding`` task type: ``POST _inference/embedding/{id}``.

The 9.x clients' ``inference.embedding`` call. Its ``input`` is a string, a list of strings, or a list
of content objects (``{"content": {"type": "text", "value": "…"}}``, the multimodal form); the answer is
``{"embeddings": [{"embedding": […]}]}``. hfgate's embedding models read text, so an image (or any
other content type) is refused naming the item. A ``text_embedding`` endpoint answers it; creating an
endpoint with task type ``embedding`` stores a ``text_embedding`` one (see ``orchestrator.ids``).
"""

from __future__ import annotations

from typing import Any

from hfgate.api.body import check_allowed, json_type
from hfgate.errors import EmptyInputError, RequestValidationError

FIELDS = ("input", "input_type", "task_settings")


def embedding_texts(body: dict[str, Any]) -> list[str]:
    """The texts of an ``embedding`` request.

    Raises:
        RequestValidationError: ``input`` missing, of the wrong type, or holding non-text content.
        EmptyInputError: ``input`` is an empty list.
    """
    check_allowed(body, FIELDS)
    raw = body.get("input")
    if raw is None:
        raise RequestValidationError(["Field [input] cannot be null"], param="input")
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise EmptyInputError(["Field [input] cannot be an empty array"], param="input")
    return [_text_of(item, index) for index, item in enumerate(items)]


def _text_of(item: Any, index: int) -> str:
    if isinstance(item, str):
        return item
    content = item.get("content") if isinstance(item, dict) else None
    if not isinstance(content, dict):
        raise RequestValidationError(
            [f"Field [input][{index}] must be a string or an object {{\"content\": {{\"type\": \"text\", "
             f"\"value\": \"…\"}}}}, got [{json_type(item)}]"],
            param="input",
        )  # fmt: skip
    kind, value = content.get("type", "text"), content.get("value")
    if kind != "text":
        raise RequestValidationError(
            [f"Field [input][{index}].content.type [{kind}] is not supported: this endpoint embeds [text] only"],
            param="input",
        )
    if not isinstance(value, str):
        raise RequestValidationError(
            [f"Field [input][{index}].content.value must be a string, got [{json_type(value)}]"], param="input"
        )
    return value


def embeddings_body(vectors: list[list[float]] | tuple[Any, ...]) -> dict[str, Any]:
    return {"embeddings": [{"embedding": vector} for vector in vectors]}
