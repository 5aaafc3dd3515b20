"""Tool calls read from OpenAI-compatible answers, including the shapes older servers gave."""

from __future__ import annotations

from hfgate.chat.tools import ToolCallDelta
from hfgate.upstream.wire.chat import parse_chat, parse_chat_chunk


def test_a_whole_answer_with_tool_calls_and_null_content() -> None:
    answer = parse_chat({"choices": [{"message": {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_9", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}
    ]}, "finish_reason": "tool_calls"}]})  # fmt: skip
    assert (answer.text, answer.finish_reason) == ("", "tool_calls")
    assert [(c.id, c.name, c.arguments) for c in answer.tool_calls] == [("call_9", "f", '{"a": 1}')]


def test_tgi_2s_object_arguments_and_stop_reason_are_read_as_a_call() -> None:
    """TGI 2.x answered ``arguments`` as an object and ``finish_reason: "stop"`` (huggingface_hub's
    ``ChatCompletionOutputFunctionDefinition`` typed it ``Any`` then)."""
    answer = parse_chat({"choices": [{"message": {"role": "assistant", "tool_calls": [
        {"id": "0", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}
    ]}, "finish_reason": "stop"}]})  # fmt: skip
    assert answer.finish_reason == "tool_calls"
    assert answer.tool_calls[0].arguments == '{"a": 1}'


def test_streamed_pieces_keep_index_id_name_and_fragments() -> None:
    head = parse_chat_chunk({"choices": [{"delta": {"tool_calls": [
        {"index": 1, "id": "call_2", "type": "function", "function": {"name": "g", "arguments": ""}}
    ]}}]})  # fmt: skip
    fragment = parse_chat_chunk(
        {"choices": [{"delta": {"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]}}]}
    )
    assert head.tool_calls == (ToolCallDelta(index=1, id="call_2", name="g", arguments=""),)
    assert fragment.tool_calls == (ToolCallDelta(index=1, arguments="{}"),)
    assert parse_chat_chunk({"choices": [{"delta": {"content": "hi"}}]}).tool_calls == ()
