"""``tool_choice: required`` on a local model: the answer is held to an array of calls, so an array cut
short by the token limit gives its complete calls and no content, whole and streamed; the call JSON never
reaches the client as text."""

from __future__ import annotations

from collections.abc import AsyncIterator

from hfgate.chat.messages import ChatMessage
from hfgate.chat.tools import TOOL_CHOICE_REQUIRED, Tool
from hfgate.local.generation.chat_template import finish_stream, finish_whole, tool_plan
from hfgate.tasks import ChatRequest, Generation, GenerationDelta

NAME = Tool(name="set_name", parameters={"type": "object", "properties": {"name": {"type": "string"}}})
CUT = '[{"name": "set_name", "arguments": {"name": "你好"}}, {"name": "set_name", "arguments": {"name": "こん'
PLAN = tool_plan(
    ChatRequest(
        timeout=5, messages=(ChatMessage(role="user", content="x"),), tools=(NAME,), tool_choice=TOOL_CHOICE_REQUIRED
    )
)


def test_a_cut_call_array_gives_its_complete_calls_and_no_content() -> None:
    assert PLAN is not None
    answer = finish_whole(PLAN, Generation(text=CUT, finish_reason="length"))
    assert answer.text == ""
    assert [(c.name, c.arguments) for c in answer.tool_calls] == [("set_name", '{"name": "你好"}')]


def test_a_first_call_cut_short_is_no_content_either() -> None:
    assert PLAN is not None
    answer = finish_whole(PLAN, Generation(text=CUT[:30], finish_reason="length"))
    assert (answer.text, answer.tool_calls, answer.finish_reason) == ("", (), "length")


async def test_streamed_a_cut_call_array_sends_no_content() -> None:
    assert PLAN is not None

    async def deltas() -> AsyncIterator[GenerationDelta]:
        for at in range(0, len(CUT), 7):
            yield GenerationDelta(text=CUT[at : at + 7])
        yield GenerationDelta(text="", finish_reason="length")

    sent = [d async for d in finish_stream(PLAN, deltas())]
    assert "".join(d.text for d in sent) == ""
    assert {p.name for d in sent for p in d.tool_calls if p.name} == {"set_name"}
