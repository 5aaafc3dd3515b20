"""Guided generation through real clients against a live hfgate: the OpenAI SDK's ``response_format``
(json_schema and json_object) and ``InferenceClient.text_generation(grammar=…)`` (json and regex);
prints the answers as JSON for tests/clients/test_guided_generation.py.

Usage: python guided_calls.py HFGATE_URL ENDPOINT_ID
"""

from __future__ import annotations

import json
import sys
from typing import Any

from huggingface_hub import InferenceClient
from openai import OpenAI

CITY = {
    "type": "object",
    "properties": {"city": {"type": "string", "maxLength": 20}, "country": {"type": "string", "maxLength": 20}},
    "required": ["city", "country"],
    "additionalProperties": False,
}


def main(gate: str, model: str) -> dict[str, Any]:
    openai = OpenAI(base_url=f"{gate}/v1", api_key="unused", timeout=600)
    question = [{"role": "user", "content": "Name the capital of France and its country, as JSON."}]
    schema_format = {"type": "json_schema", "json_schema": {"name": "city", "schema": CITY, "strict": True}}
    by_schema = openai.chat.completions.create(
        model=model, messages=question, response_format=schema_format, max_tokens=40, temperature=0
    )
    by_object = openai.chat.completions.create(
        model=model, messages=question, response_format={"type": "json_object"}, max_tokens=40, temperature=0
    )
    client = InferenceClient(model=f"{gate}/hf/{model}", provider="hf-inference", timeout=600)
    json_grammar = client.text_generation(
        "The capital of France as JSON:", grammar={"type": "json", "value": CITY}, max_new_tokens=40
    )
    regex_grammar = client.text_generation(
        "The year the Eiffel Tower was finished:", grammar={"type": "regex", "value": "1[89][0-9]{2}"}, max_new_tokens=8
    )
    return {
        "openai_json_schema": by_schema.choices[0].message.content,
        "openai_json_object": by_object.choices[0].message.content,
        "tgi_json": json_grammar,
        "tgi_regex": regex_grammar,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
