"""TGI's ``/generate`` details on a local model: real log probabilities, ``top_n_tokens``, the stop
sequence kept in ``generated_text`` (and dropped by the OpenAI face), ``best_of`` and ``stop`` limits."""

from __future__ import annotations

import math
import time

import httpx
import pytest

from hfgate.orchestrator.running import Deadlines
from hfgate.tasks import TaskType

GENERATOR = ".smollm2-135m-instruct"
PROMPT = "The capital of France is"


def _generate(live_url: str, **parameters: object) -> httpx.Response:
    body = {"inputs": PROMPT, "parameters": {"max_new_tokens": 6, **parameters}}
    return httpx.post(f"{live_url}/hf/{GENERATOR}/generate", json=body, timeout=120)


def test_details_carry_real_logprobs_and_the_top_tokens(live_url: str) -> None:
    answer = _generate(live_url, details=True, top_n_tokens=3)
    assert answer.status_code == 200, answer.text
    details = answer.json()["details"]
    tokens, top = details["tokens"], details["top_tokens"]
    assert len(tokens) == len(top) == details["generated_tokens"]
    assert all(t["logprob"] is not None and t["logprob"] <= 0 for t in tokens)
    for chosen, best in zip(tokens, top, strict=True):
        assert len(best) == 3
        assert [b["logprob"] for b in best] == sorted((b["logprob"] for b in best), reverse=True)
        # greedy decoding: the chosen token is the most likely one, with the same log probability
        assert (best[0]["id"], best[0]["logprob"]) == (chosen["id"], chosen["logprob"])
    assert sum(math.exp(b["logprob"]) for b in top[0]) <= 1.0 + 1e-6
    assert "".join(t["text"] for t in tokens) == answer.json()["generated_text"]


def test_the_tgi_face_keeps_the_stop_sequence_and_openai_drops_it(live_url: str) -> None:
    plain = _generate(live_url).json()["generated_text"]
    stop = plain.split()[0]
    kept = _generate(live_url, stop=[stop], details=True).json()
    assert kept["generated_text"].endswith(stop), kept
    assert kept["details"]["finish_reason"] == "stop_sequence"
    assert kept["details"]["tokens"][-1]["text"].endswith(stop)
    body = {"model": GENERATOR, "prompt": PROMPT, "max_tokens": 6, "stop": [stop]}
    dropped = httpx.post(f"{live_url}/v1/completions", json=body, timeout=120).json()
    assert stop not in dropped["choices"][0]["text"]
    assert kept["generated_text"] == dropped["choices"][0]["text"] + stop


def test_best_of_beyond_max_best_of_and_too_many_stops_are_refused(live_url: str) -> None:
    info = httpx.get(f"{live_url}/hf/{GENERATOR}/info").json()
    answer = _generate(live_url, best_of=info["max_best_of"] + 1)
    assert answer.status_code == 422
    assert "`best_of` must be > 0 and <= 1 (max_best_of in /info). Given: 2" in answer.json()["error"]
    stops = _generate(live_url, stop=["a"] * (info["max_stop_sequences"] + 1))
    assert stops.status_code == 422
    assert "`stop` supports up to 4 stop sequences" in stops.json()["error"]


def test_top_n_tokens_above_the_limit_is_refused(live_url: str) -> None:
    answer = _generate(live_url, top_n_tokens=50)
    assert answer.status_code in (400, 422)
    assert "top_n_tokens" in answer.text


def test_a_generation_collected_for_its_stop_string_is_bounded_as_a_whole_by_the_timeout(
    live_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by bench/fuzz.py (issue #43): a stop string makes the face collect the stream, whose deltas were
    each bounded but not the whole, so a huge ``max_new_tokens`` held the request for minutes."""
    monkeypatch.setattr(Deadlines, "default", lambda _, kind: 1.0 if kind is TaskType.COMPLETION else 120.0)
    # A prompt the model goes on with for hundreds of tokens: "The capital of France is" was answered
    # whole (end of sequence) within the second on an AVX-512 CPU, and the test saw a 200.
    counting = "Count from 1 to 1000, separated by commas: 1, 2, 3, 4, 5,"
    body = {"inputs": counting, "parameters": {"max_new_tokens": 2**63, "stop": ["never-met-stop"]}}
    started = time.monotonic()
    answer = httpx.post(f"{live_url}/hf/{GENERATOR}/generate", json=body, timeout=60)
    assert answer.status_code == 424, answer.text  # TGI's status for a failed generation (api/hf/errors.py)
    assert answer.json()["error"].startswith("Request timed out after [1s]; to wait longer, raise HFGATE_GENERATION_")
    assert time.monotonic() - started < 30
    monkeypatch.undo()
    assert _generate(live_url, stop=["never-met-stop"]).status_code == 200, "the model went on serving"
