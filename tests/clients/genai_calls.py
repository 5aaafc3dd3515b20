"""Drives Google's ``google-genai`` SDK (its default: the ``v1`` paths) against a live hfgate; prints what
each call answered, as JSON, for tests/clients/test_google_genai.py.

Usage: python genai_calls.py HFGATE_URL CHAT_MODEL EMBEDDING_MODEL CODING_URL CODING_MODEL
"""

from __future__ import annotations

import json
import sys
from typing import Any

from google import genai
from google.genai import errors, types


def _client(url: str, **options: Any) -> genai.Client:
    return genai.Client(api_key="unused-without-keys", http_options=types.HttpOptions(base_url=url, **options))


def main(url: str, chat: str, embedder: str, coding_url: str, coder: str) -> dict[str, Any]:
    client = _client(url)
    greedy = types.GenerateContentConfig(max_output_tokens=12, temperature=0, system_instruction="Answer briefly.")
    out: dict[str, Any] = {"version": genai.__version__}
    whole = client.models.generate_content(model=chat, contents="Name a colour.", config=greedy)
    out["generate"] = {"text": whole.text, "finish": str(whole.candidates[0].finish_reason),
                       "usage": whole.usage_metadata.model_dump(exclude_none=True)}  # fmt: skip
    chunks = list(client.models.generate_content_stream(model=chat, contents="Name a colour.", config=greedy))
    out["stream"] = {"texts": [c.text or "" for c in chunks], "finish": str(chunks[-1].candidates[0].finish_reason)}
    out["count"] = client.models.count_tokens(model=chat, contents="Name a colour.").total_tokens
    embedded = client.models.embed_content(model=embedder, contents=["a cat", "a dog"])
    out["embed"] = [e.values for e in embedded.embeddings]
    short = types.EmbedContentConfig(output_dimensionality=8, task_type="RETRIEVAL_QUERY")
    out["embed_short"] = [
        e.values for e in client.models.embed_content(model=embedder, contents="a cat", config=short).embeddings
    ]
    lister = _client(url, api_version="v1beta")  # GET /v1/models is the OpenAI face's list
    out["models"] = [m.name for m in lister.models.list()]
    try:
        client.models.generate_content(model="no-such-endpoint", contents="x")
    except errors.ClientError as refused:
        out["missing"] = {"code": refused.code, "status": refused.status}
    coding = _client(coding_url)  # kept: a Client closes its connections when collected
    out["tool_turn"] = _tool_turn(coding, coder)
    return out


def _tool_turn(client: genai.Client, model: str) -> dict[str, Any]:
    """A function call, its response sent back, the answer: a chat session with a declared function."""
    schema = {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}
    shell = types.FunctionDeclaration(
        name="run_shell_command", description="Run a shell command", parameters_json_schema=schema
    )
    config = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[shell])])
    chat = client.chats.create(model=model, config=config)
    first = chat.send_message("Run the command")
    (call,) = first.function_calls or []
    result = types.Part.from_function_response(name=call.name, response={"output": "tool-ran"})
    result.function_response.id = call.id  # type: ignore[union-attr]
    second = chat.send_message(result)
    return {"call": {"name": call.name, "args": call.args, "id": call.id}, "answer": second.text}


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:6])))
