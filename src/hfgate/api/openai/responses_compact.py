"""``POST /v1/responses/compact``: a conversation made shorter, to send back in place of its turns.

Source: the Open Responses specification (openresponses/openresponses): ``schema/paths/responses_compact.json``
and ``schema/routes.tsp`` (the route), ``schema/responses.tsp`` (``CompactResponseMethodPublicBody``: ``model``,
``input``, ``previous_response_id``, ``instructions``, ``prompt_cache_key``; ``CompactResource``: ``id``,
``object`` ``response.compaction``, ``output``, ``created_at``, ``usage``), ``schema/items.tsp``
(``CompactionBody``: ``type`` ``compaction``, ``id``, ``encrypted_content``).

The spec leaves the logic to the server ("compaction returns encrypted, opaque items and the underlying logic
may evolve over time"). hfgate's: the user's messages are kept as they were, and everything else (the
model's answers, tool calls and their outputs, earlier compactions) is replaced by one ``compaction`` item
holding a summary the endpoint's own model writes. Sent back as input, that item becomes an assistant turn
stating the summary (``responses_items.to_messages``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from hfgate.api.body import decode
from hfgate.api.openai import responses_shapes as shapes
from hfgate.api.openai.responses_items import compaction_item, normalize_items, to_messages
from hfgate.api.openai.responses_schema import CompactRequest
from hfgate.chat.messages import ChatMessage
from hfgate.errors import ParseError
from hfgate.orchestrator import Orchestrator
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import ChatRequest, Generation, GenerationParams

SUMMARY_PROMPT = (
    "Summarize the conversation so far in a few sentences. Keep every name, fact, decision, tool result and "
    "open question needed to continue it. Answer with the summary only."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CompactCall:
    """What one ``POST /v1/responses/compact`` asks for; ``prompt_cache_key`` is read and ignored."""

    model: str
    items: tuple[dict[str, Any], ...]
    instructions: str | None
    previous_response_id: str | None


def read_compact(body: dict[str, Any]) -> CompactCall:
    """The request, decoded (:class:`CompactRequest`) and checked.

    Raises:
        ParseError, RequestValidationError: ``model`` missing, neither ``input`` nor ``previous_response_id``
            given, or an item malformed; the message names the field.
    """
    asked = decode(body, CompactRequest)
    if asked.input is None and asked.previous_response_id is None:
        raise ParseError("[input] or [previous_response_id] is required: the conversation to compact", param="input")
    return CompactCall(
        model=asked.model,
        items=() if asked.input is None else normalize_items(asked.input),
        instructions=asked.instructions,
        previous_response_id=asked.previous_response_id,
    )


def summary_messages(conversation: list[dict[str, Any]], *, instructions: str | None) -> tuple[ChatMessage, ...]:
    """The chat that asks the model for the conversation's summary."""
    return (*to_messages(conversation, instructions=instructions), ChatMessage(role="user", content=SUMMARY_PROMPT))


def compacted(conversation: list[dict[str, Any]], result: Generation, *, created_at: int) -> dict[str, Any]:
    """The ``response.compaction`` object: the user's messages, then the ``compaction`` item."""
    kept = [
        {"type": "message", "id": item.get("id") or shapes.new_id("msg"), "status": "completed", "role": "user",
         "content": item["content"]}
        for item in conversation
        if item["type"] == "message" and item["role"] == "user"
    ]  # fmt: skip
    return {
        "id": shapes.new_id("resp"),
        "object": "response.compaction",
        "created_at": created_at,
        "output": [*kept, compaction_item(result.text.strip(), item_id=shapes.new_id("cmp"))],
        "usage": shapes.usage(result.usage),
    }


async def compact_first(
    orch: Orchestrator, endpoint: Endpoint, conversation: list[dict[str, Any]], *, instructions: str | None,
    threshold: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:  # fmt: skip
    """``context_management``'s server-side compaction: when the conversation's prompt reaches ``threshold``
    tokens, the compacted conversation (the user's messages, then the ``compaction`` item) and that item, to
    lead the response's output; else the conversation as it is and no item.

    The prompt is counted as the model reads it where the service can render it (``count_chat_tokens``),
    else as the items' JSON (by the model's tokenizer, or one token per four characters).
    """
    messages = to_messages(conversation, instructions=instructions)
    chat = ChatRequest(messages=messages, params=GenerationParams())
    tokens = await orch.count_chat_tokens(endpoint, chat, texts=[orjson.dumps(conversation).decode()])
    if tokens < threshold:
        return conversation, []
    summary = ChatRequest(messages=summary_messages(conversation, instructions=instructions),
                          params=orch.generation_params(endpoint))  # fmt: skip
    result = await orch.chat(endpoint, summary)
    compact = compacted(conversation, result, created_at=0)["output"]
    return [{k: v for k, v in item.items() if k not in ("id", "status")} if item["type"] == "message" else item
            for item in compact], [compact[-1]]  # fmt: skip
