"""A ``generateContent`` request read into what a chat needs: the conversation, tools, tool choice and
generation parameters.

Source: the Gemini API reference (``Tool``, ``FunctionCallingConfig``, ``GenerationConfig``,
``ThinkingConfig``). ``toolConfig.functionCallingConfig.mode`` ``AUTO`` and ``VALIDATED`` are ``auto``,
``ANY`` is ``required`` (the one named function when ``allowedFunctionNames`` names one; only those
functions when it names several), ``NONE`` is ``none``. ``responseMimeType: application/json`` with
``responseJsonSchema`` or ``responseSchema`` constrains the output to that schema (``responseSchema``'s
OpenAPI-subset types, ``STRING``…, read as JSON Schema's); ``thinkingConfig`` becomes the upstream's
``reasoning_effort`` and ``includeThoughts`` returns the thinking as ``thought`` parts;
``presencePenalty`` and ``frequencyPenalty`` go on as OpenAI's fields. ``safetySettings`` are accepted and
change nothing: no model here has a safety classifier to tune. Refused, naming the field: a server tool
(``googleSearch``, ``codeExecution``…), ``cachedContent`` (Gemini's caches API), ``candidateCount`` above 1,
and output modalities other than text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from hfgate.api.gemini.conversation import conversation
from hfgate.api.gemini.schema import FunctionCallingConfig, GenerateContentRequest, GenerationConfig, ThinkingConfig
from hfgate.chat.messages import ChatMessage
from hfgate.chat.tools import TOOL_CHOICE_AUTO, TOOL_CHOICE_NONE, TOOL_CHOICE_REQUIRED, Tool, ToolChoice
from hfgate.errors import BadRequestError, RequestValidationError
from hfgate.tasks import GenerationParams, Grammar

_LEVELS = {"minimal": "low", "low": "low", "medium": "medium", "high": "high"}
_SENT_AS = {
    control: f"generationConfig.{name}"
    for control, name in (("max_new_tokens", "maxOutputTokens"), ("top_p", "topP"), ("top_k", "topK"),
                          ("temperature", "temperature"), ("seed", "seed"))
}  # fmt: skip
"""Gemini's field for each generation control, for errors about its value."""
_BUDGETS = ((4096, "low"), (16384, "medium"))


@dataclass(frozen=True, slots=True, kw_only=True)
class GeminiCall:
    """What one ``generateContent`` asks for."""

    messages: tuple[ChatMessage, ...]
    params: GenerationParams
    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice | None = None
    include_thoughts: bool = False


def read_call(request: GenerateContentRequest) -> GeminiCall:
    """The request, checked.

    Raises:
        RequestValidationError, BadRequestError: a field cannot be honoured; the message names it.
    """
    if request.cached_content:
        raise BadRequestError(
            "[cachedContent] names content held by Gemini's caches API, which hfgate does not keep; send the "
            "contents in the request",
            param="cachedContent",
        )
    config = request.generation_config or GenerationConfig()
    tools = _tools(request)
    calling = request.tool_config.function_calling_config if request.tool_config else None
    choice, tools = _tool_choice(calling, tools)
    thinking = config.thinking_config or ThinkingConfig()
    return GeminiCall(
        messages=conversation(request.system_instruction, request.contents),
        params=_params(config, thinking),
        tools=tools,
        tool_choice=choice,
        include_thoughts=bool(thinking.include_thoughts),
    )


def _params(config: GenerationConfig, thinking: ThinkingConfig) -> GenerationParams:
    where = "generationConfig"
    if (config.candidate_count or 1) != 1:
        raise RequestValidationError(
            [f"Field [{where}.candidateCount] is [{config.candidate_count}]; hfgate answers one candidate: send 1 "
             "or leave it out, and send the request again for another"],
            param=f"{where}.candidateCount",
        )  # fmt: skip
    if any(m.upper() != "TEXT" for m in config.response_modalities or ()):
        raise BadRequestError(
            f"[{where}.responseModalities] is {config.response_modalities}; hfgate's models answer in text only",
            param=f"{where}.responseModalities",
        )
    passthrough = {name: value for name, value in (("presence_penalty", config.presence_penalty),
                   ("frequency_penalty", config.frequency_penalty)) if value is not None}  # fmt: skip
    return GenerationParams(
        max_new_tokens=config.max_output_tokens,
        temperature=config.temperature,
        top_p=config.top_p,
        top_k=config.top_k,
        seed=config.seed,
        stop=tuple(config.stop_sequences or ()),
        do_sample=None if config.temperature is None else config.temperature > 0,
        grammar=_grammar(config),
        passthrough=passthrough,
        reasoning_effort=_effort(thinking),
        sent_as=_SENT_AS,
    )


def _effort(thinking: ThinkingConfig) -> str | None:
    """OpenAI's three levels (``minimal`` is ``low``); ``thinkingBudget`` by the Messages face's rule. A budget
    of 0 (Gemini's "off") or -1 (its "dynamic") sends no preference: OpenAI-compatible servers have no
    value that turns thinking off for every model."""
    if thinking.thinking_level is not None:
        level = _LEVELS.get(thinking.thinking_level.lower())
        if level is None:
            raise RequestValidationError(
                ['Field [generationConfig.thinkingConfig.thinkingLevel] must be "minimal", "low", "medium" or '
                 f'"high", got [{thinking.thinking_level}]'],
                param="generationConfig.thinkingConfig.thinkingLevel",
            )  # fmt: skip
        return level
    budget = thinking.thinking_budget
    if budget is None or budget <= 0:
        return None
    return next((name for most, name in _BUDGETS if budget <= most), "high")


def _grammar(config: GenerationConfig) -> Grammar | None:
    schema = config.response_json_schema
    field = "generationConfig.responseJsonSchema"
    if schema is None and config.response_schema is not None:
        schema, field = json_schema(config.response_schema), "generationConfig.responseSchema"
    kind = (config.response_mime_type or "text/plain").lower()
    if kind == "application/json":
        return Grammar(kind="json", value=orjson.dumps(schema or {"type": "object"}).decode(), field=field)
    if kind == "text/x.enum" and schema and isinstance(schema.get("enum"), list):
        options = "|".join(_escaped(str(option)) for option in schema["enum"])
        return Grammar(kind="regex", value=f"({options})", field=field)
    if kind not in ("text/plain", "text/x.enum"):
        raise RequestValidationError(
            [f"Field [generationConfig.responseMimeType] must be text/plain, application/json or text/x.enum, got "
             f"[{config.response_mime_type}]"],
            param="generationConfig.responseMimeType",
        )  # fmt: skip
    return None


def _escaped(text: str) -> str:
    return "".join(f"\\{c}" if c in r".^$*+?{}[]\|()" else c for c in text)


def json_schema(schema: Any) -> Any:
    """Gemini's OpenAPI-subset ``Schema`` as JSON Schema: its upper-case ``type`` names in lower case,
    ``nullable`` as a ``null`` type, ``propertyOrdering`` dropped.

    Example:
        >>> json_schema({"type": "OBJECT", "properties": {"n": {"type": "INTEGER", "nullable": True}}})
        {'type': 'object', 'properties': {'n': {'type': ['integer', 'null']}}}
    """
    if isinstance(schema, list):
        return [json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: json_schema(value) for key, value in schema.items() if key not in ("nullable", "propertyOrdering")}
    if isinstance(out.get("type"), str):
        out["type"] = out["type"].lower()
        if schema.get("nullable") is True:
            out["type"] = [out["type"], "null"]
    return out


def _tools(request: GenerateContentRequest) -> tuple[Tool, ...]:
    tools: list[Tool] = []
    for i, tool in enumerate(request.tools or ()):
        for name, value in (tool.model_extra or {}).items():
            if value is not None:
                raise BadRequestError(
                    f"[tools[{i}].{name}] is a server tool Gemini runs itself; hfgate runs function tools only "
                    "(functionDeclarations): declare it as a function and run it in your client",
                    param=f"tools[{i}].{name}",
                )
        for declaration in tool.function_declarations or ():
            parameters = declaration.parameters_json_schema or json_schema(declaration.parameters)
            tools.append(Tool(name=declaration.name, description=declaration.description, parameters=parameters))
    names = [t.name for t in tools]
    repeated = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if repeated is not None:
        raise RequestValidationError(
            [f"Field [tools] declares the function [{repeated}] twice; each function needs its own name"],
            param="tools",
        )
    return tuple(tools)


def _tool_choice(
    config: FunctionCallingConfig | None, tools: tuple[Tool, ...]
) -> tuple[ToolChoice | None, tuple[Tool, ...]]:
    if config is None or config.mode in (None, "MODE_UNSPECIFIED"):
        return None, tools
    if config.mode == "NONE":
        return TOOL_CHOICE_NONE, tools
    allowed = config.allowed_function_names
    if allowed:
        unknown = [name for name in allowed if name not in {t.name for t in tools}]
        if unknown:
            raise RequestValidationError(
                [f"Field [toolConfig.functionCallingConfig.allowedFunctionNames] names {unknown}, which [tools] "
                 "does not declare"],
                param="toolConfig.functionCallingConfig.allowedFunctionNames",
            )  # fmt: skip
        tools = tuple(t for t in tools if t.name in allowed)
    if config.mode != "ANY":
        return TOOL_CHOICE_AUTO, tools
    if not tools:
        raise RequestValidationError(
            ["Field [toolConfig.functionCallingConfig.mode] is ANY but [tools] declares no function"],
            param="toolConfig.functionCallingConfig.mode",
        )
    if len(tools) == 1:
        return ToolChoice(mode="named", name=tools[0].name), tools
    return TOOL_CHOICE_REQUIRED, tools
