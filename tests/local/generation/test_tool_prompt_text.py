"""A request's ``tool_prompt`` (TGI's field) in a local model's prompt: it replaces the words that introduce
the tools for a template that ignores tools (the call format the answer is read in stays), and follows the
last message as TGI puts it (``"\\n---\\n" + tool_prompt``, TGI ``router/src/infer/chat_template.rs``) for a
template that renders the tools itself. Without tools it changes nothing."""

from __future__ import annotations

import json
from typing import Any

from hfgate.chat.messages import ChatMessage
from hfgate.chat.tools import Tool
from hfgate.local.generation.chat_template import render_chat
from hfgate.local.generation.tool_prompt import HERMES_INTRO

TOOLS = (Tool(name="get_weather", parameters={"type": "object", "properties": {"city": {"type": "string"}}}),)
ASKED = (ChatMessage(role="user", content="Weather in Paris?"),)
WORDS = "Use a tool only when the user asks for the weather."


class Template:
    """A tokenizer whose chat template shows what it was given (``knows`` says whether it mentions tools)."""

    def __init__(self, *, knows: bool) -> None:
        self.chat_template = "{{ messages }}{{ tools }}" if knows else "{{ messages }}"

    def apply_chat_template(self, turns: Any, tools: Any = None, **_: Any) -> str:
        return json.dumps({"turns": turns, "tools": tools})


def rendered(*, knows: bool, tools: tuple[Tool, ...] = TOOLS, tool_prompt: str | None = WORDS) -> dict[str, Any]:
    text = render_chat(Template(knows=knows), ASKED, tools=tools, tool_prompt=tool_prompt)
    return dict(json.loads(text))


def test_it_introduces_the_tools_in_place_of_the_hermes_words() -> None:
    system = rendered(knows=False)["turns"][0]["content"]
    assert system.startswith(WORDS)
    assert HERMES_INTRO not in system
    assert "<tools>" in system
    assert "<tool_call>" in system  # the format the answer is parsed in is kept


def test_without_it_the_hermes_words_stay() -> None:
    assert rendered(knows=False, tool_prompt=None)["turns"][0]["content"].startswith(HERMES_INTRO)


def test_a_template_that_renders_tools_gets_it_after_the_last_message_as_tgi_puts_it() -> None:
    shown = rendered(knows=True)
    assert shown["turns"] == [{"role": "user", "content": f"Weather in Paris?\n---\n{WORDS}"}]
    assert shown["tools"][0]["function"]["name"] == "get_weather"


def test_without_tools_it_changes_nothing() -> None:
    plain = render_chat(Template(knows=True), ASKED)
    assert render_chat(Template(knows=True), ASKED, tool_prompt=WORDS) == plain
