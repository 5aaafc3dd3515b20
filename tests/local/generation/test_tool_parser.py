"""Reading a local model's tool calls out of its text, whole and piece by piece (any cut of the text)."""

from __future__ import annotations

import json

import pytest

from hfgate.chat.tool_calls import ToolCallJoiner
from hfgate.local.generation.tool_parser import ToolCallReader, read_whole

NAMES = {"get_weather", "get_time"}
HERMES = 'Let me check.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n'
TWO = HERMES + '<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>'


def streamed(text: str, *, size: int) -> tuple[str, list[tuple[str, dict[str, object]]]]:
    """The content and calls read from ``text`` fed ``size`` characters at a time."""
    reader, joiner, content = ToolCallReader(NAMES), ToolCallJoiner(), []
    for start in range(0, len(text), size):
        piece, calls = reader.feed(text[start : start + size])
        content.append(piece)
        joiner.add(calls)
    piece, calls = reader.close()
    content.append(piece)
    joiner.add(calls)
    return "".join(content), [(c.name, json.loads(c.arguments)) for c in joiner.calls()]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_hermes_blocks_become_calls_and_never_reach_the_content_at_any_cut(size: int) -> None:
    content, calls = streamed(TWO, size=size)
    assert calls == [("get_weather", {"city": "Paris"}), ("get_time", {})]
    assert "<" not in content
    assert content.strip() == "Let me check."


@pytest.mark.parametrize("size", [1, 5, 1000])
def test_bare_json_calls_are_read_whole_object_or_array(size: int) -> None:
    assert streamed('{"name": "get_weather", "parameters": {"city": "Oslo"}}', size=size) == (
        "",
        [("get_weather", {"city": "Oslo"})],
    )
    both = '[{"name": "get_time", "arguments": {}}, {"name": "get_weather", "arguments": {"city": "Rome"}}]'
    assert streamed(both, size=size)[1] == [("get_time", {}), ("get_weather", {"city": "Rome"})]


def test_json_that_is_not_a_call_of_a_declared_tool_stays_the_content() -> None:
    text = '{"name": "rm_rf", "arguments": {}}'
    assert streamed(text, size=3) == (text, [])
    assert read_whole('{"answer": 42}', NAMES) == ('{"answer": 42}', ())


def test_plain_text_passes_through_and_a_lone_angle_bracket_is_not_held_forever() -> None:
    assert streamed("1 < 2 and <b>bold</b>", size=1) == ("1 < 2 and <b>bold</b>", [])


def test_an_unclosed_block_at_the_end_is_still_a_call() -> None:
    content, calls = read_whole('<tool_call>\n{"name": "get_time", "arguments": {}}', NAMES)
    assert (content, [c.name for c in calls]) == ("", ["get_time"])


def test_a_block_that_does_not_parse_is_given_back_as_text() -> None:
    text = "<tool_call>not json</tool_call>"
    assert read_whole(text, NAMES) == (text, ())


def test_streamed_pieces_open_each_call_with_its_id_and_name_then_its_arguments() -> None:
    reader = ToolCallReader(NAMES)
    _, pieces = reader.feed(TWO)
    head, arguments = pieces[0], pieces[1]
    assert (head.index, head.name, head.arguments) == (0, "get_weather", "")
    assert head.id
    assert (arguments.index, arguments.id, arguments.name) == (0, None, None)
    assert pieces[2].index == 1
    assert pieces[2].name == "get_time"


@pytest.mark.parametrize("size", [1, 4, 1000])
def test_an_array_cut_by_the_token_limit_gives_the_complete_calls_it_holds(size: int) -> None:
    cut = '[{"name": "get_weather", "arguments": {"city": "Rome"}}, {"name": "get_time", "argu'
    assert streamed(cut, size=size) == ("", [("get_weather", {"city": "Rome"})])
    assert streamed('[{"name": "get_weather", "argu', size=size) == ('[{"name": "get_weather", "argu', [])


@pytest.mark.parametrize("size", [1, 1000])
def test_a_call_that_repeats_an_earlier_one_is_dropped(size: int) -> None:
    again = '{"name": "get_weather", "arguments": {"city": "Rome"}}'
    same = '{"name": "get_weather", "arguments": {"city": "Rome"} }'
    text = f'[{again}, {{"name": "get_time", "arguments": {{}}}}, {same}, {again}, {{"name": "get_ti'
    assert streamed(text, size=size)[1] == [("get_weather", {"city": "Rome"}), ("get_time", {})]


def test_a_required_call_array_cut_by_the_limit_keeps_length_and_gives_its_calls() -> None:
    from hfgate.chat.messages import ChatMessage
    from hfgate.chat.tools import TOOL_CHOICE_REQUIRED, Tool
    from hfgate.local.generation.chat_template import finish_whole, tool_plan
    from hfgate.tasks import ChatRequest, Generation

    request = ChatRequest(
        messages=(ChatMessage(role="user", content="hi"),),
        tools=(Tool(name="get_time"), Tool(name="get_weather")),
        tool_choice=TOOL_CHOICE_REQUIRED,
    )
    plan = tool_plan(request)
    assert plan is not None
    cut = Generation(text='[{"name": "get_time", "arguments": {}}, {"name": "get_weather", "a', finish_reason="length")
    answer = finish_whole(plan, cut)
    assert (answer.text, answer.finish_reason) == ("", "length")
    assert [(c.name, c.arguments) for c in answer.tool_calls] == [("get_time", "{}")]
