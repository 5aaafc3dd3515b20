"""The Message Batches API's bodies and answers, as Anthropic's (the request model decodes; all document).

Source: the ``anthropic`` SDK's types, ``anthropic/types/messages/batch_create_params.py`` (``requests``:
``{custom_id, params}``, ``params`` a non-streaming Messages request), ``batch_list_params.py``
(``before_id``, ``after_id``, ``limit`` 1 to 1000), ``message_batch.py``, ``message_batch_request_counts.py``,
``deleted_message_batch.py`` and ``message_batch_individual_response.py`` with its four results
(``succeeded``, ``errored``, ``canceled``, ``expired``); Anthropic's reference for ``custom_id``'s form
(``^[a-zA-Z0-9_-]{1,64}$``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hfgate.api.anthropic.schema import MessageObject, MessagesRequest

CustomId = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_-]{1,64}$")]


class MessageBatchItem(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)
    custom_id: CustomId = Field(description="your id of the request, unique in the batch (1 to 64 of a-z A-Z 0-9 _ -)")
    params: MessagesRequest = Field(description="a Messages request, as POST /v1/messages takes it (no stream)")


class MessageBatchCreateRequest(BaseModel):
    """``POST /v1/messages/batches``' body."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)
    requests: list[MessageBatchItem] = Field(min_length=1, description="the requests, each sent as POST /v1/messages")


class MessageBatchRequestCounts(BaseModel):
    processing: int
    succeeded: int
    errored: int
    canceled: int
    expired: int


class MessageBatch(BaseModel):
    id: str
    type: Literal["message_batch"]
    processing_status: Literal["in_progress", "canceling", "ended"]
    request_counts: MessageBatchRequestCounts
    ended_at: str | None = Field(description="RFC 3339")
    created_at: str
    expires_at: str
    cancel_initiated_at: str | None
    archived_at: str | None
    results_url: str | None = Field(description="the results' JSON lines, once the batch ended")


class MessageBatchList(BaseModel):
    data: list[MessageBatch]
    has_more: bool
    first_id: str | None
    last_id: str | None


class DeletedMessageBatch(BaseModel):
    id: str
    type: Literal["message_batch_deleted"]


class MessageBatchResult(BaseModel):
    type: Literal["succeeded", "errored", "canceled", "expired"]
    message: MessageObject | None = Field(default=None, description="succeeded: the message")
    error: dict[str, Any] | None = Field(default=None, description='errored: {"type": "error", "error": {…}}')


class MessageBatchIndividualResponse(BaseModel):
    """One line of ``GET /v1/messages/batches/{id}/results`` (JSON lines)."""

    custom_id: str
    result: MessageBatchResult
