"""The Files and Batches APIs' bodies and answers, as OpenAI's (the request models decode; all document)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

Purpose = Literal["assistants", "batch", "fine-tune", "vision", "user_data", "evals"]
Endpoint = Literal[
    "/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses", "/v1/moderations", "/v1/rerank",
    "/v1/classify", "/v1/score",
]  # fmt: skip
"""The routes a batch may run (:data:`hfgate.batches.input.OPENAI_ENDPOINTS`)."""


class FileUploadForm(BaseModel):
    """``POST /v1/files``' multipart form (OpenAI's)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)
    file: Annotated[bytes, WithJsonSchema({"type": "string", "format": "binary"})] = Field(
        description="the file: for a batch, JSON lines of {custom_id, method, url, body}"
    )
    purpose: Purpose = Field(description="what the file is for; batch for a batch's input")
    anchor: Literal["created_at"] | None = Field(
        default=None, alias="expires_after[anchor]", description="the expiry's anchor: created_at"
    )
    seconds: int | None = Field(
        default=None, ge=3600, le=2592000, alias="expires_after[seconds]",
        description="the file expires this long after its anchor (an hour to 30 days)",
    )  # fmt: skip


class FileObject(BaseModel):
    id: str
    object: Literal["file"]
    bytes: int
    created_at: int
    expires_at: int | None
    filename: str
    purpose: str
    status: Literal["uploaded", "processed", "error"]
    status_details: str | None


class FileList(BaseModel):
    object: Literal["list"]
    data: list[FileObject]
    first_id: str | None
    last_id: str | None
    has_more: bool


class FileDeleted(BaseModel):
    id: str
    object: Literal["file"]
    deleted: bool


class ExpiresAfter(BaseModel):
    """An expiry policy: ``seconds`` after the ``anchor`` (the file's creation)."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)
    anchor: Literal["created_at"] = Field(description="created_at: the file's creation")
    seconds: int = Field(ge=3600, le=2592000, description="an hour to 30 days")


class BatchRequest(BaseModel):
    """``POST /v1/batches``' body (OpenAI's)."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)
    input_file_id: Annotated[str, StringConstraints(min_length=1)] = Field(
        description="a file uploaded with purpose batch"
    )
    endpoint: Endpoint = Field(description="the route every line of the file is sent to")
    completion_window: Literal["24h"] = Field(description="24h")
    metadata: dict[str, str] | None = Field(default=None, description="up to 16 pairs of your own")
    output_expires_after: ExpiresAfter | None = Field(
        default=None, description="when the output and error files expire (then the sweep removes them)"
    )


class BatchLineError(BaseModel):
    code: str | None
    message: str | None
    param: str | None
    line: int | None


class BatchErrors(BaseModel):
    object: Literal["list"]
    data: list[BatchLineError]


class RequestCounts(BaseModel):
    total: int
    completed: int
    failed: int


class BatchUsage(BaseModel):
    input_tokens: int
    input_tokens_details: dict[str, int]
    output_tokens: int
    output_tokens_details: dict[str, int]
    total_tokens: int


class BatchObject(BaseModel):
    id: str
    object: Literal["batch"]
    endpoint: str
    errors: BatchErrors | None
    input_file_id: str
    completion_window: str
    status: Literal[
        "validating", "failed", "in_progress", "finalizing", "completed", "expired", "cancelling", "cancelled"
    ]
    output_file_id: str | None
    error_file_id: str | None
    created_at: int
    in_progress_at: int | None
    expires_at: int | None
    finalizing_at: int | None
    completed_at: int | None
    failed_at: int | None
    expired_at: int | None
    cancelling_at: int | None
    cancelled_at: int | None
    request_counts: RequestCounts
    usage: BatchUsage
    metadata: dict[str, str] | None


class BatchList(BaseModel):
    object: Literal["list"]
    data: list[BatchObject]
    first_id: str | None
    last_id: str | None
    has_more: bool
