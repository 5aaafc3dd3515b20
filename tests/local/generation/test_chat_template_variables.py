"""A request's ``chat_template_kwargs`` (vLLM's field, e.g. Qwen3's ``enable_thinking``) reach a local model's
chat template as variables, with tools and without; a variable the template does not read changes nothing."""

from __future__ import annotations

import pytest

from hfgate.chat.messages import ChatMessage
from hfgate.chat.tools import Tool
from hfgate.errors import BadRequestError
from hfgate.local.generation.chat_template import render_chat
from hfgate.local.generation.params import template_kwargs
from tests.local.generation.tiny_models import build_tokenizer

ASKED = (ChatMessage(role="user", content="hello"),)
THINKING = (
    "{% if enable_thinking is defined and not enable_thinking %}[no-think] {% endif %}"
    "{% for m in messages %}{{ m['role'] }} : {{ m['content'] }} {% endfor %}"
)


@pytest.mark.parametrize("tools", [(), (Tool(name="get_time"),)])
def test_template_variables_reach_the_chat_template(tools: tuple[Tool, ...]) -> None:
    tokenizer = build_tokenizer()
    tokenizer.chat_template = THINKING
    assert render_chat(tokenizer, ASKED, tools=tools, variables={"enable_thinking": False}).startswith("[no-think] ")
    assert not render_chat(tokenizer, ASKED, tools=tools).startswith("[no-think]")
    assert render_chat(tokenizer, ASKED, variables={"unused": 1}) == render_chat(tokenizer, ASKED)


@pytest.mark.parametrize(
    ("value", "param"),
    [("enable_thinking", "chat_template_kwargs"), ({"tokenize": True}, "chat_template_kwargs.tokenize")],
)
def test_a_malformed_or_reserved_variable_is_a_400_naming_it(value: object, param: str) -> None:
    with pytest.raises(BadRequestError) as refused:
        template_kwargs({"chat_template_kwargs": value})
    assert refused.value.param == param
