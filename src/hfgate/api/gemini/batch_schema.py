"""Gemini's Batch API bodies and answers (the request models decode; all document).

Source: the Gemini API reference (``batches``: ``models.batchGenerateContent``, ``models.asyncBatchEmbedContent``,
``GenerateContentBatch``, ``EmbedContentBatch``, ``InputConfig``, ``BatchStats``, ``BatchState``, the
long-running ``Operation``), checked against ``google-genai`` 3.6.1's ``batches.py`` converters
(``_CreateBatchJobParameters_to_mldev``: ``{"batch": {"displayName", "inputConfig": {"requests":
{"requests": [{"request", "metadata"}]}} | {"fileName"}}}``; ``_EmbeddingsBatchJobSource_to_mldev``: the same
with each ``request`` an ``EmbedContentRequest`` and ``file_name`` spelled so; ``_BatchJob_from_mldev``: the
batch read from the operation's ``metadata``; ``_ListBatchJobsResponse_from_mldev``: ``operations`` and
``nextPageToken``) and ``types.py`` (``InlinedResponse``: ``metadata`` a map of strings, ``error`` a
``JobError`` of ``code`` and ``message``). Names are read camelCase or snake_case, as the API reads them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from hfgate.api.gemini.schema import EmbedContentRequest, GenerateContentRequest


class _Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class InlinedRequest(_Wire):
    request: GenerateContentRequest = Field(description="a generateContent request, as the model's route takes it")
    metadata: dict[str, Any] | None = Field(default=None, description="returned with the request's response")


class InlinedRequests(_Wire):
    requests: list[InlinedRequest] = Field(min_length=1)


class InputConfig(_Wire):
    requests: InlinedRequests | None = Field(default=None, description="the requests themselves")
    file_name: str | None = Field(default=None, description="files/…: a JSONL file of {key, request} lines")


class GenerateContentBatch(_Wire):
    display_name: str | None = None
    input_config: InputConfig
    model: str | None = Field(default=None, description="the path's model, if given")


class BatchGenerateContentRequest(_Wire):
    """``POST /v1beta/models/{model}:batchGenerateContent``'s body."""

    batch: GenerateContentBatch


class InlinedEmbedRequest(_Wire):
    request: EmbedContentRequest = Field(description="an embedContent request, as the model's route takes it")
    metadata: dict[str, Any] | None = None


class InlinedEmbedRequests(_Wire):
    requests: list[InlinedEmbedRequest] = Field(min_length=1)


class EmbedInputConfig(_Wire):
    requests: InlinedEmbedRequests | None = None
    file_name: str | None = None


class EmbedContentBatch(_Wire):
    display_name: str | None = None
    input_config: EmbedInputConfig
    model: str | None = None


class AsyncBatchEmbedContentRequest(_Wire):
    """``POST /v1beta/models/{model}:asyncBatchEmbedContent``'s body."""

    batch: EmbedContentBatch


# answers (built by ``batch_shapes``; here for the document)


class BatchStats(_Wire):
    request_count: str = Field(description="int64, as proto3 JSON writes it")
    successful_request_count: str
    failed_request_count: str
    pending_request_count: str


class JobError(_Wire):
    code: int = Field(description="google.rpc.Code (3: INVALID_ARGUMENT, 5: NOT_FOUND…)")
    message: str


class InlinedResponse(_Wire):
    metadata: dict[str, Any] | None = None
    response: dict[str, Any] | None = Field(
        default=None, description="a GenerateContentResponse or EmbedContentResponse"
    )
    error: JobError | None = None


class InlinedResponses(_Wire):
    inlined_responses: list[InlinedResponse]


class BatchOutput(_Wire):
    inlined_responses: InlinedResponses | None = None
    responses_file: str | None = Field(default=None, description="files/…: a JSONL file of {key, response | error}")


class BatchMetadata(_Wire):
    type: str = Field(alias="@type")
    name: str
    model: str
    display_name: str | None = None
    state: Literal["BATCH_STATE_PENDING", "BATCH_STATE_RUNNING", "BATCH_STATE_SUCCEEDED", "BATCH_STATE_FAILED",
                   "BATCH_STATE_CANCELLED", "BATCH_STATE_EXPIRED"]  # fmt: skip
    create_time: str
    update_time: str
    end_time: str | None = None
    batch_stats: BatchStats
    output: BatchOutput | None = None


class BatchOperation(BaseModel):
    """A batch as the long-running operation the API answers (``name``: ``batches/{id}``)."""

    name: str
    metadata: BatchMetadata
    done: bool = False
    response: dict[str, Any] | None = Field(default=None, description="once done: the output, with its @type")


class ListBatchesResponse(_Wire):
    operations: list[BatchOperation]
    next_page_token: str | None = None


class Empty(BaseModel):
    """``{}``: what ``cancel`` and ``delete`` answer."""
