"""OpenAI's objects for Files and Batches: the file object, the batch object, an output or error line.

Example:
    >>> output_line(custom_id="a", request_id="r1", status_code=200, body={"ok": 1})["response"]["status_code"]
    200
"""

from __future__ import annotations

import secrets
from typing import Any

STATUSES = ("validating", "failed", "in_progress", "finalizing", "completed", "expired", "cancelling", "cancelled")
"""A batch's eight statuses, each with its ``<status>_at`` timestamp (``validating``'s is ``created_at``)."""

TIMESTAMPS = tuple(f"{status}_at" for status in STATUSES if status != "validating")


def new_id(prefix: str) -> str:
    """``file-…``, ``batch_…``: OpenAI's prefixes and a random part."""
    return f"{prefix}{secrets.token_hex(12)}"


def file_object(
    *, file_id: str, purpose: str, filename: str, size: int, created_at: int, expires_at: int | None
) -> dict[str, Any]:
    """OpenAI's file object (``client.files.retrieve``)."""
    return {
        "id": file_id,
        "object": "file",
        "bytes": size,
        "created_at": created_at,
        "expires_at": expires_at,
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
        "status_details": None,
    }


def error_list(errors: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """A batch's ``errors``: ``{"object": "list", "data": [{"code", "message", "param", "line"}]}``."""
    return None if not errors else {"object": "list", "data": errors}


def line_error(line: int | None, code: str, message: str, param: str | None = None) -> dict[str, Any]:
    """One entry of a batch's ``errors``: what is wrong, and on which line of the input file (from 1)."""
    return {"code": code, "message": message, "param": param, "line": line}


def output_line(
    *, custom_id: str, request_id: str, status_code: int, body: Any, error: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One line of the output or error file: ``{id, custom_id, response: {status_code, request_id, body},
    error}``."""
    response = {"status_code": status_code, "request_id": request_id, "body": body}
    return {"id": new_id("batch_req_"), "custom_id": custom_id, "response": response, "error": error}


def unsent_line(*, custom_id: str, code: str, message: str) -> dict[str, Any]:
    """An error line for a request that was never sent (``response`` is null)."""
    return {"id": new_id("batch_req_"), "custom_id": custom_id, "response": None,
            "error": {"code": code, "message": message}}  # fmt: skip


def request_counts(*, total: int, completed: int, failed: int) -> dict[str, int]:
    return {"total": total, "completed": completed, "failed": failed}


def tokens_of(body: Any) -> tuple[int, int]:
    """The input and output tokens an answer's ``usage`` gives (OpenAI's chat, completion and embedding
    names, or the Responses API's), or its ``usageMetadata`` (Gemini's); ``(0, 0)`` for an answer without
    one (an error)."""
    if not isinstance(body, dict):
        return 0, 0
    gemini = body.get("usageMetadata")
    if isinstance(gemini, dict):
        given, written = gemini.get("promptTokenCount", 0), gemini.get("candidatesTokenCount", 0)
        return (given if isinstance(given, int) else 0), (written if isinstance(written, int) else 0)
    usage = body.get("usage")
    if not isinstance(usage, dict):
        return 0, 0
    given = usage.get("prompt_tokens", usage.get("input_tokens", 0))
    written = usage.get("completion_tokens", usage.get("output_tokens", 0))
    return (given if isinstance(given, int) else 0), (written if isinstance(written, int) else 0)


def usage(*, input_tokens: int, output_tokens: int) -> dict[str, Any]:
    """A batch's ``usage``: the tokens of the answers recorded so far, as OpenAI's batch object gives them."""
    return {"input_tokens": input_tokens, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens}  # fmt: skip
