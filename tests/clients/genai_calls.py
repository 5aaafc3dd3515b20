"""Drives Google's ``google-genai`` SDK (its default: the ``v1`` paths) against a live hfgate; prints what
each call answered, as JSON, for tests/clients/test_google_genai.py.

Usage: python genai_calls.py HFGATE_URL CHAT_MODEL EMBEDDING_MODEL CODING_URL CODING_MODEL
"""

from __future__ import annotations

import io
import json
import sys
import time
import warnings
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
    out["batches"] = _batches(lister, chat, embedder, greedy)
    return out


_OVER = ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED")


def _over(client: genai.Client, name: str) -> types.BatchJob:
    deadline = time.monotonic() + 600
    while (job := client.batches.get(name=name)).state not in _OVER:
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    return job


def _batches(client: genai.Client, chat: str, embedder: str, greedy: types.GenerateContentConfig) -> dict[str, Any]:
    """``client.batches``: create, get, list, cancel, delete and create_embeddings (on ``v1beta``: hfgate's
    ``/v1/batches`` are OpenAI's), each result beside the same request sent alone."""
    prompts = ["Name a colour.", "Say hello."]
    inline = [{"contents": [{"role": "user", "parts": [{"text": p}]}], "config": greedy, "metadata": {"key": f"r{n}"}}
              for n, p in enumerate(prompts)]  # fmt: skip
    made = client.batches.create(model=chat, src=inline, config={"display_name": "colours"})  # type: ignore[arg-type]
    out: dict[str, Any] = {"made": {"name": made.name, "state": str(made.state), "display_name": made.display_name}}
    job = _over(client, str(made.name))
    responses = (job.dest.inlined_responses if job.dest else None) or []
    out["done"] = {"state": str(job.state), "keys": [r.metadata for r in responses],
                   "texts": [r.response.text if r.response else None for r in responses],
                   "alone": [client.models.generate_content(model=chat, contents=p, config=greedy).text
                             for p in prompts]}  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # create_embeddings is experimental
        embedding = client.batches.create_embeddings(
            model=embedder, src={"inlined_requests": {"contents": ["a cat", "a dog"]}}
        )
    vectors = _over(client, str(embedding.name)).dest
    out["embeddings"] = [r.response.embedding.values for r in (vectors.inlined_embed_content_responses or [])  # type: ignore[union-attr]
                         if r.response and r.response.embedding] if vectors else []  # fmt: skip
    cancelled = client.batches.create(model=chat, src=inline * 4)  # type: ignore[arg-type]
    client.batches.cancel(name=str(cancelled.name))
    out["cancelled"] = str(_over(client, str(cancelled.name)).state)
    out["file"] = _file_batch(client, chat, prompts)
    out["listed"] = [j.name for j in client.batches.list(config={"page_size": 1})]
    out["names"] = [made.name, embedding.name, cancelled.name]
    client.batches.delete(name=str(made.name))
    try:
        client.batches.get(name=str(made.name))
    except errors.ClientError as refused:
        out["deleted"] = {"code": refused.code, "status": refused.status}
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


def _file_batch(client: genai.Client, chat: str, prompts: list[str]) -> dict[str, Any]:
    """``files.upload`` of a JSONL input, a batch of it, ``files.download`` of its responses file."""
    config = {"maxOutputTokens": 12, "temperature": 0}
    system = {"parts": [{"text": "Answer briefly."}]}
    rows = [{"key": f"f{n}", "request": {"contents": [{"role": "user", "parts": [{"text": p}]}],
                                         "generationConfig": config, "systemInstruction": system}}
            for n, p in enumerate(prompts)]  # fmt: skip
    content = "".join(json.dumps(row) + "\n" for row in rows).encode()
    uploaded = client.files.upload(file=io.BytesIO(content),
                                   config={"mime_type": "application/jsonl", "display_name": "in.jsonl"})  # fmt: skip
    job = _over(client, str(client.batches.create(model=chat, src=str(uploaded.name)).name))
    responses = client.files.download(file=str(job.dest.file_name))  # type: ignore[union-attr]
    lines = [json.loads(line) for line in responses.splitlines()]
    return {"uploaded": {"name": uploaded.name, "size": uploaded.size_bytes, "state": str(uploaded.state)},
            "state": str(job.state), "keys": [line["key"] for line in lines],
            "texts": ["".join(p.get("text", "") for p in line["response"]["candidates"][0]["content"]["parts"])
                      for line in lines]}  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:6])))
