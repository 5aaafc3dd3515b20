"""The Hugging Face face's request types (``api/hf/schema.py``) decode a body the way the face answers it:
each problem names its field and the fix; nothing is coerced; ``inputs`` is a string or a list; TGI's
``generate_parameters`` are taken over the parameters beside them, and TGI's own refusals keep its words."""

from __future__ import annotations

from typing import Any

import pytest

from hfgate.api.body import decode
from hfgate.api.hf import schema
from hfgate.api.hf.requests import texts, tgi_call
from hfgate.errors import EmptyInputError, RequestValidationError


@pytest.mark.parametrize(
    ("kind", "body", "field", "words"),
    [
        (schema.TeiRequest, {"inputs": 5}, "inputs", "must be a string or an array of strings, got [number]"),
        (schema.TeiRequest, {"inputs": ["a", 1]}, "inputs", "got [array]"),
        (schema.TeiRequest, {}, "inputs", "is required: the text to embed, or an array of texts"),
        (schema.TeiRequest, {"inputs": "a", "normalize": "yes"}, "normalize", "must be a boolean, got [string]"),
        (schema.TeiRerankRequest, {"query": "q"}, "texts", "is required: the texts to score"),
        (schema.TeiRerankRequest, {"query": "", "texts": ["a"]}, "query", "at least 1 character"),
        (schema.TeiRerankRequest, {"query": "q", "texts": []}, "texts", "at least 1 item"),
        (schema.TgiRequest, {"inputs": ["a"]}, "inputs", "must be a string, got [array]"),
        (schema.TgiRequest, {"inputs": "a", "parameters": {"max_new_tokens": "5"}}, "parameters.max_new_tokens",
         "must be an integer, got [string]"),
        (schema.TgiRequest, {"inputs": "a", "parameters": {"generate_parameters": [1]}},
         "parameters.generate_parameters", 'must be an object of generation parameters such as {"max_new_tokens": 20}'),
    ],
)  # fmt: skip
def test_a_refused_body_names_its_field_and_the_fix(kind: Any, body: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(RequestValidationError) as refused:
        decode(body, kind)
    assert refused.value.param == field
    assert f"Field [{field}] " in refused.value.problems[0]
    assert words in refused.value.problems[0]


def test_inputs_as_a_string_or_a_list_and_normalize_by_default() -> None:
    assert decode({"inputs": "a"}, schema.TeiRequest).inputs == ["a"]
    assert decode({"inputs": ["a", "b"], "extra": 1}, schema.TeiRequest).inputs == ["a", "b"]
    assert decode({"inputs": "a", "normalize": None}, schema.TeiRequest).normalize is None
    with pytest.raises(EmptyInputError):
        texts(decode({"inputs": []}, schema.TeiRequest).inputs)


def test_generate_parameters_are_taken_over_those_beside_them() -> None:
    parameters = {"max_new_tokens": 9, "seed": 3, "generate_parameters": {"max_new_tokens": 2}}
    body = {"inputs": "Hi", "parameters": parameters}
    call = tgi_call(decode(body, schema.TgiRequest))
    assert (call.params.max_new_tokens, call.params.seed, call.stream) == (2, 3, False)


@pytest.mark.parametrize(
    ("parameters", "words"),
    [
        ({"bogus": 1}, "The following `model_kwargs` are not used by the model: ['bogus']"),
        ({"generate_parameters": {"bogus": 1}}, "The following `model_kwargs` are not used by the model: ['bogus']"),
        ({"best_of": 2}, "`best_of` must be > 0 and <= 1 (max_best_of in /info). Given: 2"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "`stop` supports up to 4 stop sequences. Given: 5"),
        ({"frequency_penalty": 0.5}, "`frequency_penalty` is not supported; use `repetition_penalty`"),
    ],
)
def test_tgis_own_refusals_keep_its_words(parameters: dict[str, Any], words: str) -> None:
    with pytest.raises(RequestValidationError) as refused:
        tgi_call(decode({"inputs": "Hi", "parameters": parameters}, schema.TgiRequest))
    assert words in refused.value.problems[0]


def test_an_empty_prompt_is_refused_as_empty() -> None:
    with pytest.raises(EmptyInputError):
        tgi_call(decode({"inputs": ""}, schema.TgiRequest))
