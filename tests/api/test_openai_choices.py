"""``n`` > 1 on the chat and completion routes, with the openai SDK against a live hfgate's local SmolLM2:
every choice with its index, streamed and not, usage counting the prompt once and every choice's tokens."""

from __future__ import annotations

import pytest
from openai import BadRequestError, OpenAI

from hfgate.api.openai.requests import choice_count

MODEL = ".smollm2-135m-instruct"
ASK = [{"role": "user", "content": "Name a colour."}]


def _client(live_url: str) -> OpenAI:
    return OpenAI(base_url=f"{live_url}/v1", api_key="none", timeout=120)


def test_greedy_choices_are_each_the_single_answer(live_url: str) -> None:
    client = _client(live_url)
    one = client.chat.completions.create(model=MODEL, messages=ASK, max_tokens=6, temperature=0)  # type: ignore[arg-type]
    three = client.chat.completions.create(model=MODEL, messages=ASK, max_tokens=6, temperature=0, n=3)  # type: ignore[arg-type]
    assert [c.index for c in three.choices] == [0, 1, 2]
    assert {c.message.content for c in three.choices} == {one.choices[0].message.content}
    assert three.usage is not None
    assert one.usage is not None
    assert three.usage.prompt_tokens == one.usage.prompt_tokens
    assert three.usage.completion_tokens == 3 * one.usage.completion_tokens


def test_sampled_choices_follow_the_seed(live_url: str) -> None:
    client = _client(live_url)
    asked = {"model": MODEL, "messages": ASK, "max_tokens": 8, "temperature": 1.0, "seed": 11, "n": 4}
    first = [c.message.content for c in client.chat.completions.create(**asked).choices]  # type: ignore[call-overload]
    again = [c.message.content for c in client.chat.completions.create(**asked).choices]  # type: ignore[call-overload]
    assert first == again
    assert len(set(first)) > 1


def test_streamed_choices_carry_their_index_and_usage_counts_them_all(live_url: str) -> None:
    client = _client(live_url)
    stream = client.chat.completions.create(
        model=MODEL, messages=ASK, max_tokens=5, temperature=0, n=2, stream=True,  # type: ignore[arg-type]
        stream_options={"include_usage": True},
    )  # fmt: skip
    texts, finished, usage = {0: "", 1: ""}, set(), None
    for chunk in stream:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            texts[choice.index] += choice.delta.content or ""
            if choice.finish_reason:
                finished.add(choice.index)
    assert finished == {0, 1}
    assert texts[0] == texts[1] != ""
    assert usage is not None
    assert 2 <= usage.completion_tokens <= 10  # both choices, 5 tokens at most each


def test_completions_give_n_choices_per_prompt_in_prompt_order(live_url: str) -> None:
    answer = _client(live_url).completions.create(model=MODEL, prompt=["One", "Two"], max_tokens=3, temperature=0, n=2)
    assert [c.index for c in answer.choices] == [0, 1, 2, 3]
    assert answer.choices[0].text == answer.choices[1].text
    assert answer.choices[2].text == answer.choices[3].text


def test_an_n_outside_the_range_is_a_400_naming_it(live_url: str) -> None:
    with pytest.raises(BadRequestError) as refused:
        _client(live_url).chat.completions.create(model=MODEL, messages=ASK, n=129)  # type: ignore[arg-type]
    assert "[n]" in str(refused.value)
    assert choice_count(None, None) == 1
    with pytest.raises(Exception, match="best_of"):
        choice_count(1, 3)
