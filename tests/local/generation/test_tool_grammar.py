"""The grammars that hold a local model's required and named tool calls."""

from __future__ import annotations

import json

from hfgate.chat.tools import Tool, ToolChoice
from hfgate.local.generation.tool_grammar import call_grammar, closed

CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
WEATHER = Tool(name="get_weather", parameters=CITY)
TIME = Tool(name="get_time")


def test_a_named_choice_holds_the_answer_to_the_tools_schema_closed_and_on_one_line() -> None:
    grammar = call_grammar((TIME, WEATHER), ToolChoice(mode="named", name="get_weather"), parallel=None)
    assert grammar is not None
    assert grammar.field == "tools[1].function.parameters"
    schema = json.loads(grammar.value)
    assert schema["additionalProperties"] is False
    assert schema["x-guidance"]["whitespace_flexible"] is False
    assert schema["properties"] == CITY["properties"]


def test_required_is_an_array_of_calls_of_the_declared_tools_one_at_most_without_parallel_calls() -> None:
    grammar = call_grammar((WEATHER, TIME), ToolChoice(mode="required"), parallel=False)
    assert grammar is not None
    schema = json.loads(grammar.value)
    assert (schema["type"], schema["minItems"], schema["maxItems"]) == ("array", 1, 1)
    names = [item["properties"]["name"]["enum"] for item in schema["items"]["anyOf"]]
    assert names == [["get_weather"], ["get_time"]]
    assert schema["items"]["anyOf"][1]["properties"]["arguments"] == {"type": "object"}
    assert "maxItems" not in json.loads(call_grammar((WEATHER,), ToolChoice(mode="required"), parallel=None).value)  # type: ignore[union-attr]


def test_auto_and_none_leave_the_model_free() -> None:
    assert call_grammar((WEATHER,), ToolChoice(mode="auto"), parallel=None) is None
    assert call_grammar((WEATHER,), ToolChoice(mode="none"), parallel=None) is None


def test_objects_are_closed_unless_they_say_otherwise_at_every_depth() -> None:
    nested = {
        "type": "object",
        "properties": {"where": {"type": "object", "properties": {"city": {"type": "string"}}},
                       "tags": {"type": "array", "items": {"type": "object", "properties": {"k": {}}}}},
        "$defs": {"open": {"type": "object", "properties": {}, "additionalProperties": True}},
    }  # fmt: skip
    done = closed(nested)
    assert done["additionalProperties"] is False
    assert done["properties"]["where"]["additionalProperties"] is False
    assert done["properties"]["tags"]["items"]["additionalProperties"] is False
    assert done["$defs"]["open"]["additionalProperties"] is True
    assert "additionalProperties" not in nested  # the caller's schema is left as it was
