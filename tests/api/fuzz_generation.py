"""Generation bodies that reach the local engine, for the fuzzers (tests/api/test_fuzz_openapi.py, bench/fuzz.py).

The OpenAPI document's schemas rarely produce what breaks a model: empty and whitespace prompts, prompts
of special tokens only, lone surrogates, extreme ``max_tokens``, stop strings that match at once, a
``logit_bias`` that bans most of the vocabulary (which the local models refuse, a 400, as they have no
per-token bias), guided decoding that allows nothing. These strategies
send them to every face that generates; each request must be answered, below 500, within its timeout.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from hypothesis import strategies as st

GENERATOR = ".smollm2-135m-instruct"
ANSWER_SECONDS = 150.0
"""The longest a request may take to be answered: the faces' generation timeout (120 s) and a margin."""

STREAMING = ["completions", "chat", "responses"]
SPECIALS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<repo_name>", "<file_sep>"]
PROMPTS = st.one_of(
    st.sampled_from(["", " ", "\n", "\t \n", "\u00a0", "\u200b", "\ud800", "a\udfffb", *SPECIALS]),
    st.lists(st.sampled_from(SPECIALS), min_size=1, max_size=6).map("".join),
    st.text(max_size=12),
)
LONG = 2**31 - 1
"""Valid, and clamped to the model's context: minutes of CPU. Sent as a stream the fuzzer stops reading
after :data:`STREAM_SECONDS` (a client going away), so it tests cancellation instead of the CPU."""
STREAM_SECONDS = 5.0
MAX_TOKENS = st.one_of(st.integers(1, 4), st.sampled_from([0, -1, LONG, 2**63, 10**30]))
STOPS = st.lists(st.one_of(st.sampled_from(["", " ", "-", "a", "\n", "<|im_end|>"]), st.text(max_size=2)), max_size=5)
BIAS = st.dictionaries(st.integers(-1, 49_200).map(str), st.sampled_from([-100, 100, 1e308, float("nan")]), max_size=4)
NOTHING = [{"enum": []}, {"not": {}}, {"type": "string", "maxLength": 0, "minLength": 1}, {"anyOf": []}, False]
SCHEMAS = st.sampled_from([*NOTHING, {"type": "integer", "minimum": 2, "maximum": 1}, {"const": ""}])


@st.composite
def generation_call(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A (path, body) pair: one face's generation request with hostile fields."""
    prompt = draw(PROMPTS)
    tokens = draw(MAX_TOKENS)
    extras: dict[str, Any] = {}
    if draw(st.booleans()):
        extras["stop"] = draw(STOPS)
    if draw(st.booleans()):
        extras["logit_bias"] = draw(BIAS)
    if draw(st.booleans()):
        schema = draw(SCHEMAS)
        extras["response_format"] = {"type": "json_schema", "json_schema": {"name": "nothing", "schema": schema}}
    extras["stream"] = tokens == LONG or draw(st.booleans())
    face = draw(st.sampled_from(STREAMING if tokens == LONG else [*STREAMING, "es", "tgi"]))
    return _shaped(face, prompt=prompt, tokens=tokens, extras=extras)


def _shaped(face: str, *, prompt: str, tokens: int, extras: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if face == "completions":
        return "/v1/completions", {"model": GENERATOR, "prompt": prompt, "max_tokens": tokens, **extras}
    if face == "chat":
        messages = [{"role": "user", "content": prompt}]
        return "/v1/chat/completions", {"model": GENERATOR, "messages": messages, "max_tokens": tokens, **extras}
    if face == "es":
        return f"/_inference/completion/{GENERATOR}", {"input": [prompt]}
    if face == "tgi":
        parameters = {"max_new_tokens": tokens, "stop": extras.get("stop", [])}
        return f"/hf/{GENERATOR}/generate", {"inputs": prompt, "parameters": parameters}
    body = {"model": GENERATOR, "input": prompt, "max_output_tokens": tokens, "stream": extras["stream"]}
    return "/v1/responses", body


def send(client: httpx.Client, path: str, body: dict[str, Any]) -> str | None:
    """Send one generation request; what was wrong with its answer, or ``None``.

    A stream counts as answered when it ends (its last event read) within :data:`ANSWER_SECONDS`.
    """
    raw = _encode(body)
    try:
        with client.stream("POST", path, content=raw, timeout=ANSWER_SECONDS) as response:
            text = _read(response, seconds=STREAM_SECONDS if body.get("stream") else ANSWER_SECONDS)
    except httpx.TimeoutException:
        return f"POST {path} not answered within {ANSWER_SECONDS:g}s: {raw[:300]!r}"
    if response.status_code >= 500:
        return f"POST {path} answered {response.status_code}: {raw[:300]!r} -> {text[:300]}"
    compact = text.replace(" ", "")
    if '"server_error"' in compact or '"status":5' in compact:  # a stream's error event (OpenAI's, ES's)
        return f"POST {path} stream ended with a server error: {raw[:300]!r} -> {text[-300:]}"
    return None


def _read(response: httpx.Response, *, seconds: float) -> str:
    """The body, or what of it came within ``seconds`` (then the client goes away)."""
    start, chunks = time.monotonic(), []
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        if time.monotonic() - start > seconds:
            break
    return b"".join(chunks).decode(errors="replace")


def _encode(body: dict[str, Any]) -> bytes:
    """JSON as a client would send it; lone surrogates escaped (``\\ud800``), as JavaScript's JSON does."""
    return json.dumps(body, ensure_ascii=True, allow_nan=True).encode()
