"""Generation parameters: the request's over the endpoint's stored ones (merged once, by the orchestrator),
ours where neither sets one, sampling switched on by a temperature, ranges."""

from __future__ import annotations

import pytest

from hfgate.errors import BadRequestError
from hfgate.local.generation.params import DEFAULT_MAX_NEW_TOKENS, resolve_params
from hfgate.services.spec import merged_params
from hfgate.tasks import GenerationParams


def test_request_values_win_over_endpoint_defaults_which_win_over_ours() -> None:
    params = resolve_params(merged_params({"max_new_tokens": 9, "top_k": 3}, GenerationParams(max_new_tokens=5)))
    assert (params.max_new_tokens, params.top_k) == (5, 3)
    assert resolve_params(merged_params({})).max_new_tokens == DEFAULT_MAX_NEW_TOKENS


def test_greedy_unless_sampling_is_asked_or_a_temperature_is_set() -> None:
    assert resolve_params(GenerationParams()).greedy
    assert not resolve_params(GenerationParams(temperature=0.7)).greedy
    assert resolve_params(GenerationParams(temperature=0.7, do_sample=False)).greedy
    assert resolve_params(GenerationParams(temperature=0, do_sample=True)).greedy


def test_stop_strings_from_the_request_replace_the_endpoints() -> None:
    assert resolve_params(merged_params({"stop": ["b"]}, GenerationParams(stop=("a",)))).stop == ("a",)
    assert resolve_params(merged_params({"stop": ["b"]}, GenerationParams())).stop == ("b",)


@pytest.mark.parametrize(
    ("given", "name"),
    [
        (GenerationParams(max_new_tokens=0), "max_new_tokens"),
        (GenerationParams(temperature=-1), "temperature"),
        (GenerationParams(top_p=0), "top_p"),
        (GenerationParams(top_p=1.5), "top_p"),
        (GenerationParams(repetition_penalty=0), "repetition_penalty"),
    ],
)
def test_out_of_range_values_are_refused_naming_the_parameter(given: GenerationParams, name: str) -> None:
    with pytest.raises(BadRequestError, match=rf"\[{name}\]") as caught:
        merged_params({}, given)
    assert caught.value.param == name


def test_a_value_is_named_as_the_request_sent_it_or_as_the_stored_setting_it_came_from() -> None:
    sent = GenerationParams(max_new_tokens=0, sent_as={"max_new_tokens": "max_tokens"})
    with pytest.raises(BadRequestError, match=r"\[max_tokens\] must be a positive integer") as caught:
        merged_params({"max_new_tokens": 5}, sent)
    assert caught.value.param == "max_tokens"
    with pytest.raises(BadRequestError, match=r"\[task_settings\.top_p\] must be greater than") as stored:
        merged_params({"top_p": 0}, GenerationParams(sent_as={"top_p": "topP"}))  # stored before the check
    assert stored.value.param == "task_settings.top_p"
