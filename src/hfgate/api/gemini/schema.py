"""Gemini's request and answer bodies as pydantic models: they decode the requests and are the OpenAPI
document of the face.

Source: the Gemini API reference (``ai.google.dev/api``: ``GenerateContentRequest``, ``Content``,
``Part``, ``Tool``, ``ToolConfig``, ``GenerationConfig``, ``SafetySetting``, ``CountTokensRequest``,
``EmbedContentRequest``, ``BatchEmbedContentsRequest`` and their answers), checked against
``google-genai`` 3.6.1's converters (``models.py``, ``_*_to_mldev``), which write these camelCase names.
Fields hfgate has no use for are read and dropped (a newer client's field is not an error); those
whose effect hfgate cannot give are refused where the request is read (``requests``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class Blob(_Wire):
    mime_type: str
    data: str = Field(description="base64")


class FileData(_Wire):
    mime_type: str | None = None
    file_uri: str


class GeminiFunctionCall(_Wire):
    id: str | None = None
    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class FunctionResponse(_Wire):
    id: str | None = None
    name: str
    response: dict[str, Any] = Field(default_factory=dict)


class Part(_Wire):
    text: str | None = None
    inline_data: Blob | None = None
    file_data: FileData | None = None
    function_call: GeminiFunctionCall | None = None
    function_response: FunctionResponse | None = None
    thought: bool | None = None
    thought_signature: str | None = None
    executable_code: dict[str, Any] | None = None
    code_execution_result: dict[str, Any] | None = None


class Content(_Wire):
    role: str | None = None
    parts: list[Part] = Field(default_factory=list)


class FunctionDeclaration(_Wire):
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = Field(default=None, description="an OpenAPI-subset Schema")
    parameters_json_schema: dict[str, Any] | None = None


class GeminiTool(_Wire):
    """``functionDeclarations`` is what hfgate runs; the server tools (``googleSearch``, ``codeExecution``,
    ``urlContext``…) are kept to be refused by name."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True)
    function_declarations: list[FunctionDeclaration] | None = None


class FunctionCallingConfig(_Wire):
    mode: Literal["MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"] | None = None
    allowed_function_names: list[str] | None = None


class ToolConfig(_Wire):
    function_calling_config: FunctionCallingConfig | None = None


class ThinkingConfig(_Wire):
    include_thoughts: bool | None = None
    thinking_budget: int | None = None
    thinking_level: str | None = None


class GenerationConfig(_Wire):
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    candidate_count: int | None = None
    max_output_tokens: int | None = None
    stop_sequences: list[str] | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    response_mime_type: str | None = None
    response_schema: dict[str, Any] | None = None
    response_json_schema: dict[str, Any] | None = None
    response_logprobs: bool | None = None
    response_modalities: list[str] | None = None
    thinking_config: ThinkingConfig | None = None


class SafetySetting(_Wire):
    category: str
    threshold: str


class GenerateContentRequest(_Wire):
    contents: list[Content]
    system_instruction: Content | None = None
    tools: list[GeminiTool] | None = None
    tool_config: ToolConfig | None = None
    generation_config: GenerationConfig | None = None
    safety_settings: list[SafetySetting] | None = None
    cached_content: str | None = None


class GeminiCountTokensRequest(_Wire):
    """Either ``contents``, or a whole ``generateContentRequest`` (its tools and system instruction counted)."""

    contents: list[Content] | None = None
    generate_content_request: GenerateContentRequest | None = None


class EmbedContentRequest(_Wire):
    model: str | None = None
    content: Content
    task_type: str | None = None
    title: str | None = None
    output_dimensionality: int | None = None


class BatchEmbedContentsRequest(_Wire):
    requests: list[EmbedContentRequest]


# answers (built by ``shapes``; here for the document)


class Candidate(_Wire):
    content: Content
    finish_reason: str | None = None
    index: int = 0


class UsageMetadata(_Wire):
    prompt_token_count: int
    candidates_token_count: int
    total_token_count: int
    thoughts_token_count: int | None = None


class GenerateContentResponse(_Wire):
    candidates: list[Candidate]
    usage_metadata: UsageMetadata | None = None
    model_version: str
    response_id: str


class CountTokensResponse(_Wire):
    total_tokens: int


class ContentEmbedding(_Wire):
    values: list[float]


class EmbedContentResponse(_Wire):
    embedding: ContentEmbedding


class BatchEmbedContentsResponse(_Wire):
    embeddings: list[ContentEmbedding]


class ModelInfo(_Wire):
    name: str
    base_model_id: str
    version: str
    display_name: str
    description: str
    input_token_limit: int | None = None
    output_token_limit: int | None = None
    supported_generation_methods: list[str]


class ListModelsResponse(_Wire):
    models: list[ModelInfo]
    next_page_token: str | None = None


class Status(_Wire):
    code: int
    message: str
    status: str


class GeminiError(_Wire):
    error: Status
