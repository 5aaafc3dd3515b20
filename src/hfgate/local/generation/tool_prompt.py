"""A conversation with tools, as a local model's chat template reads it.

A template that knows tools (its source mentions ``tools``: Qwen2.5, Llama 3.1, Hermes, SmolLM3…)
gets them through ``apply_chat_template(…, tools=…)``, and assistant ``tool_calls`` and ``tool``
turns in transformers' shape (arguments as an object). A template that ignores them (SmolLM2's plain
ChatML) gets them written out Hermes-style, as Qwen2.5's template writes them: the function
signatures in a ``<tools>`` block of the system message, each earlier call as a ``<tool_call>`` block
in the assistant's turn, each result as a ``<tool_response>`` block in a user turn. The model is asked
to answer with ``<tool_call>{"name": …, "arguments": …}</tool_call>``, which ``tool_parser`` reads.
A request's ``tool_prompt`` (TGI's field) replaces the Hermes block's opening words, or, for a template
that renders the tools itself, follows the last message as TGI puts it.
Sources: transformers' chat templating guide ("Tool use"); Qwen2.5-Instruct's chat template;
NousResearch's Hermes-Function-Calling format.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hfgate.chat.messages import ChatMessage
from hfgate.chat.tools import Tool, ToolCall

HERMES_INTRO = """# Tools

You may call one or more functions to assist with the user query.

You are provided with function signatures within <tools></tools> XML tags:"""
HERMES_TOOLS = """<tools>
{signatures}
</tools>

For each function call, return a json object with function name and arguments within \
<tool_call></tool_call> XML tags:
<tool_call>
{{"name": <function-name>, "arguments": <args-json-object>}}
</tool_call>"""
TGI_SEPARATOR = "\n---\n"
"""What TGI puts between the last message and ``tool_prompt`` (TGI ``router/src/infer/chat_template.rs``)."""


def knows_tools(tokenizer: Any) -> bool:
    """Whether the model's chat template renders ``tools`` itself."""
    template = getattr(tokenizer, "chat_template", None)
    return isinstance(template, str) and "tools" in template


def tool_schema(tool: Tool) -> dict[str, Any]:
    """A tool in OpenAI's (and transformers') ``{"type": "function", "function": {…}}`` shape."""
    function: dict[str, Any] = {"name": tool.name}
    if tool.description is not None:
        function["description"] = tool.description
    function["parameters"] = dict(tool.parameters) if tool.parameters is not None else {"type": "object"}
    return {"type": "function", "function": function}


def template_turns(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """Messages for a template that knows tools: calls and results in transformers' shape."""
    names = _call_names(messages)
    turns: list[dict[str, Any]] = []
    for m in messages:
        turn: dict[str, Any] = {"role": m.role, "content": m.content}
        if m.tool_calls:
            turn["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": _arguments(c)}}
                for c in m.tool_calls
            ]
        if m.tool_call_id is not None:
            turn["tool_call_id"] = m.tool_call_id
            turn["name"] = names.get(m.tool_call_id, "")
        turns.append(turn)
    return turns


def hermes_turns(
    messages: Sequence[ChatMessage], tools: Sequence[Tool], *, intro: str | None = None
) -> list[dict[str, str]]:
    """Messages for a template that ignores tools: everything written into plain text turns; ``intro``
    (a request's ``tool_prompt``) replaces the words that introduce the tools, not the call format the
    answer is read in."""
    turns: list[dict[str, str]] = []
    for m in messages:
        if m.role == "tool":
            block = f"<tool_response>\n{m.content}\n</tool_response>"
            if turns and turns[-1]["role"] == "user" and turns[-1]["content"].endswith("</tool_response>"):
                turns[-1]["content"] += "\n" + block  # results of one turn's calls go together
            else:
                turns.append({"role": "user", "content": block})
        elif m.tool_calls:
            calls = "\n".join(hermes_call(c) for c in m.tool_calls)
            turns.append({"role": m.role, "content": f"{m.content}\n{calls}" if m.content else calls})
        else:
            turns.append({"role": m.role, "content": m.content})
    return _with_tools_system(turns, tools, intro=intro or HERMES_INTRO) if tools else turns


def hermes_call(call: ToolCall) -> str:
    body = json.dumps({"name": call.name, "arguments": _arguments(call)}, ensure_ascii=False)
    return f"<tool_call>\n{body}\n</tool_call>"


def with_tool_prompt(turns: list[dict[str, Any]], tool_prompt: str | None) -> list[dict[str, Any]]:
    """For a template that renders the tools itself: ``tool_prompt`` after the last message, as TGI puts
    it (``"\\n---\\n" + tool_prompt``)."""
    if not tool_prompt or not turns:
        return turns
    last = turns[-1]
    return [*turns[:-1], dict(last, content=f"{last.get('content') or ''}{TGI_SEPARATOR}{tool_prompt}")]


def _with_tools_system(turns: list[dict[str, str]], tools: Sequence[Tool], *, intro: str) -> list[dict[str, str]]:
    signatures = "\n".join(json.dumps(tool_schema(t), ensure_ascii=False) for t in tools)
    block = f"{intro.strip()}\n{HERMES_TOOLS.format(signatures=signatures)}"
    if turns and turns[0]["role"] in ("system", "developer"):
        return [{"role": "system", "content": f"{turns[0]['content']}\n\n{block}"}, *turns[1:]]
    return [{"role": "system", "content": block}, *turns]


def _call_names(messages: Sequence[ChatMessage]) -> dict[str, str]:
    return {c.id: c.name for m in messages for c in m.tool_calls}


def _arguments(call: ToolCall) -> Any:
    """The arguments as an object when they parse (templates write them with ``tojson``), else as sent."""
    try:
        return json.loads(call.arguments) if call.arguments else {}
    except json.JSONDecodeError:
        return call.arguments
