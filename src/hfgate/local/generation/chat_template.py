"""Turning a conversation into a prompt with the model's own chat template, and the plan for its tools and
image parts (:func:`tool_plan`, :func:`refuse_images`).

With ``tools`` and a choice other than ``none``, the tools are rendered into the prompt
(``local.generation.tool_prompt``); ``required`` and a named choice hold the answer to a grammar
(``tool_grammar``); the answer (whole or streamed) is split into content and ``tool_calls``
(``tool_parser``). With ``none`` the tools are left out of the prompt, as vLLM's
``--exclude-tools-when-tool-choice-none`` does, and the model answers in text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from hfgate.chat.messages import ChatMessage, ImagePart
from hfgate.chat.tool_calls import new_call_id
from hfgate.chat.tools import Tool, ToolCall, ToolCallDelta
from hfgate.errors import BadRequestError
from hfgate.local.generation.tool_grammar import call_grammar
from hfgate.local.generation.tool_parser import ToolCallReader, read_whole
from hfgate.local.generation.tool_prompt import (
    hermes_turns,
    knows_tools,
    template_turns,
    tool_schema,
    with_tool_prompt,
)
from hfgate.tasks import ChatRequest, FinishReason, Generation, GenerationDelta, GenerationParams


def render_chat(
    tokenizer: Any,
    messages: Sequence[ChatMessage],
    *,
    tools: Sequence[Tool] = (),
    tool_prompt: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> str:
    """The prompt text for ``messages``, ending where the assistant's answer begins; ``tools`` (and
    earlier tool calls and results, and a request's ``tool_prompt``) rendered as the ``tool_prompt``
    module says; ``variables`` are the request's ``chat_template_kwargs``, given to the template.

    Raises:
        BadRequestError: the model has no chat template, so it cannot serve ``chat_completion``.

    Example:
        >>> # render_chat(tokenizer, [ChatMessage(role="user", content="Hi")])
        >>> # '<|im_start|>system\\n…<|im_end|>\\n<|im_start|>user\\nHi<|im_end|>\\n<|im_start|>assistant\\n'
    """
    if not getattr(tokenizer, "chat_template", None):
        raise BadRequestError(
            "The model has no chat template, so it cannot answer [chat_completion]; use a chat model, or "
            "the [completion] task type with a prompt you format yourself"
        )
    extra = dict(variables or {})
    if tools or any(m.tool_calls or m.tool_call_id is not None for m in messages):
        return _render_with_tools(tokenizer, messages, tools, tool_prompt=tool_prompt if tools else None, extra=extra)
    turns = [{"role": m.role, "content": m.content} for m in messages]
    text: str = tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True, **extra)
    return text


def _render_with_tools(
    tokenizer: Any,
    messages: Sequence[ChatMessage],
    tools: Sequence[Tool],
    *,
    tool_prompt: str | None,
    extra: dict[str, Any],
) -> str:
    if knows_tools(tokenizer):
        schemas = [tool_schema(t) for t in tools] or None
        turns_with = with_tool_prompt(template_turns(messages), tool_prompt)
        text: str = tokenizer.apply_chat_template(
            turns_with, tools=schemas, tokenize=False, add_generation_prompt=True, **extra
        )
        return text
    turns = hermes_turns(messages, tools, intro=tool_prompt)
    rendered: str = tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True, **extra)
    return rendered


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolPlan:
    """How one chat request with tools is run: the tools to render, the parameters (with the call
    grammar), and the tool the answer must call when the choice names one."""

    tools: tuple[Tool, ...]
    params: GenerationParams
    named: Tool | None
    names: frozenset[str]
    single: bool = False
    """``parallel_tool_calls: false``: calls after the first are dropped (``auto``; ``required``'s
    grammar already allows one)."""
    required: bool = False
    """``tool_choice: required``: the answer is held to an array of calls, so none of it is content (an
    array cut short by the token limit is not handed out as text; its complete calls are)."""


def tool_plan(request: ChatRequest) -> ToolPlan | None:
    """``None`` when the model is to answer in text (no tools, or ``tool_choice: none``).

    Raises:
        BadRequestError: ``response_format`` with a required or named tool call (both would hold the answer).
    """
    if not request.tools:
        return None
    choice = request.effective_tool_choice
    if choice.mode == "none":
        return None
    grammar = call_grammar(request.tools, choice, parallel=request.parallel_tool_calls)
    if grammar is not None and request.params.grammar is not None:
        raise BadRequestError(
            f"[response_format] and [tool_choice: {choice.name or choice.mode}] cannot both hold the answer; "
            "drop one (with [tool_choice: auto] the model may answer in the format or call a tool)",
            param="tool_choice",
        )
    params = replace(request.params, grammar=grammar) if grammar is not None else request.params
    named = next(t for t in request.tools if t.name == choice.name) if choice.mode == "named" else None
    return ToolPlan(
        tools=request.tools,
        params=params,
        named=named,
        names=frozenset(t.name for t in request.tools),
        single=request.parallel_tool_calls is False,
        required=choice.mode == "required",
    )


def refuse_images(model: str, messages: Sequence[ChatMessage]) -> None:
    """Local models read text only.

    Raises:
        BadRequestError: naming the first image part and the model.
    """
    for i, message in enumerate(messages):
        for j, part in enumerate(message.parts):
            if isinstance(part, ImagePart):
                raise BadRequestError(
                    f"[messages[{i}].content[{j}]] is an image, and the local model [{model}] reads text only; "
                    "send text, or use an endpoint whose model reads images (a hugging_face endpoint on a "
                    "vision model)",
                    param=f"messages[{i}].content[{j}]",
                )


def finish_whole(plan: ToolPlan, generation: Generation) -> Generation:
    """The answer split into content and calls."""
    if plan.named is not None:
        content = ""
        calls: tuple[ToolCall, ...] = (ToolCall(id=new_call_id(), name=plan.named.name, arguments=generation.text),)
    else:
        content, calls = read_whole(generation.text, plan.names)
        calls = calls[:1] if plan.single else calls
        content = "" if plan.required else content
    reason = _reason(generation.finish_reason, called=bool(calls))
    return replace(generation, text=content, tool_calls=calls, finish_reason=reason)


async def finish_stream(plan: ToolPlan, deltas: AsyncIterator[GenerationDelta]) -> AsyncIterator[GenerationDelta]:
    """The streamed answer split into content and call pieces, in OpenAI's streaming shape."""
    if plan.named is not None:
        stream = _named_stream(plan.named, deltas)
    else:
        stream = _read_stream(ToolCallReader(plan.names), deltas, single=plan.single, required=plan.required)
    async for delta in stream:
        yield delta


async def _named_stream(tool: Tool, deltas: AsyncIterator[GenerationDelta]) -> AsyncIterator[GenerationDelta]:
    head: ToolCallDelta | None = ToolCallDelta(index=0, id=new_call_id(), name=tool.name)
    async for delta in deltas:
        if head is not None:  # after the model's first piece, so a failure to start is still an HTTP error
            yield GenerationDelta(text="", tool_calls=(head,))
            head = None
        pieces = (ToolCallDelta(index=0, arguments=delta.text),) if delta.text else ()
        reason = _reason(delta.finish_reason, called=True) if delta.finish_reason else None
        if pieces or reason:
            yield replace(delta, text="", tool_calls=pieces, finish_reason=reason)


async def _read_stream(
    reader: ToolCallReader, deltas: AsyncIterator[GenerationDelta], *, single: bool, required: bool
) -> AsyncIterator[GenerationDelta]:
    async for delta in deltas:
        text, pieces = reader.feed(delta.text)
        if delta.finish_reason is not None:
            rest, more = reader.close()
            text, pieces = text + rest, pieces + more
        text = "" if required else text
        if single:
            pieces = tuple(p for p in pieces if p.index == 0)
        if delta.finish_reason is not None:
            reason = _reason(delta.finish_reason, called=reader.calls > 0)
            yield replace(delta, text=text, tool_calls=pieces, finish_reason=reason)
            return
        if text or pieces:
            yield replace(delta, text=text, tool_calls=pieces)


def _reason(reason: FinishReason, *, called: bool) -> FinishReason:
    """``tool_calls`` when the answer called tools and was not cut short (``length`` stays, as OpenAI says)."""
    return "tool_calls" if called and reason != "length" else reason
