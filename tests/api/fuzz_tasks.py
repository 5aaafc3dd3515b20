"""Hub task requests that reach the task runners, for the fuzzers (tests/api/test_fuzz_openapi.py, bench/fuzz.py).

The OpenAPI document cannot describe what breaks a task: ``/hf/{id}`` takes any JSON or raw bytes, and its
routes only reach a model when ``{id}`` names an endpoint of that task. :func:`create_task_endpoints` makes
one local endpoint per Hub task on the tiny random models of ``tests/pipelines/tiny_models.py``; these
strategies then send each of them JSON of every shape (the task's own fields with hostile values: empty,
lone surrogates, huge numbers, wrong types, nested arrays), raw bodies of any bytes and Content-Type
(truncated WAVs, a WAV header claiming another rate, text sent as audio), OpenAI's audio form with
any field, and TEI's and vLLM's task routes. Each request must be answered, below 500, within its timeout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from hypothesis import strategies as st

from tests.api.fuzz_generation import ANSWER_SECONDS, PROMPTS

TASK_ENDPOINTS = {
    "fz-clf": ("text-classification", "classifier"),
    "fz-ner": ("token-classification", "ner"),
    "fz-nli": ("zero-shot-classification", "nli"),
    "fz-mlm": ("fill-mask", "masked"),
    "fz-qa": ("question-answering", "qa"),
    "fz-tqa": ("table-question-answering", "tapas"),
    "fz-sum": ("summarization", "seq2seq"),
    "fz-mt": ("translation", "translator"),
    "fz-asr": ("automatic-speech-recognition", "ctc"),
    "fz-whisper": ("automatic-speech-recognition", "whisper"),
    "fz-kws": ("audio-classification", "audio_classifier"),
}
AUDIO_IDS = ["fz-asr", "fz-whisper", "fz-kws"]
TEXT_IDS = [each for each in TASK_ENDPOINTS if each not in AUDIO_IDS]


def create_task_endpoints(url: str, root: Path, headers: dict[str, str]) -> None:
    """One ``local`` endpoint per entry of :data:`TASK_ENDPOINTS`, on tiny models built under ``root``."""
    from tests.pipelines.tiny_models import build

    tiny = build(root)
    for inference_id, (task, model) in TASK_ENDPOINTS.items():
        body = {"service": "local", "service_settings": {"model": str(getattr(tiny, model))}}
        where = f"{url}/_inference/{task}/{inference_id}?timeout=240s"
        created = httpx.put(where, json=body, headers=headers, timeout=300)
        assert created.status_code == 200, created.text


def _wav() -> bytes:
    from tests.pipelines.tiny_models import tone_wav

    return tone_wav(0.5)


WAV = _wav()
# a WAV whose header claims 8-bit stereo at 1 Hz, and one claiming 4 GB of data
ODD_WAVS = [WAV[:22] + b"\x02\x00\x01\x00\x00\x00" + WAV[28:], WAV[:40] + b"\xff\xff\xff\xff" + WAV[44:]]
AUDIO = st.one_of(
    st.sampled_from([b"", WAV[:12], WAV[:44], WAV[: len(WAV) // 2], WAV, WAV, WAV, b"RIFF", *ODD_WAVS]),
    st.binary(max_size=512),
)
CONTENT_TYPES = st.sampled_from(
    ["audio/wav", "audio/mpeg", "audio/webm", "application/octet-stream", "text/plain", "application/json",
     "image/png", "multipart/form-data", "audio/wav; rate=0", ""]
)  # fmt: skip
PARAMETER_NAMES = [
    "top_k", "function_to_apply", "aggregation_strategy", "ignore_labels", "stride", "candidate_labels",
    "multi_label", "hypothesis_template", "targets", "doc_stride", "max_answer_len", "max_seq_len",
    "max_question_len", "handle_impossible_answer", "align_to_words", "padding", "sequential", "truncation",
    "src_lang", "tgt_lang", "generate_parameters", "clean_up_tokenization_spaces", "return_timestamps",
    "language", "task", "prompt", "temperature", "max_new_tokens", "model", "chunk_length_s",
]  # fmt: skip
WORDS = st.sampled_from(
    ["[MASK]", "Paris [MASK] France.", "[MASK] [MASK]", "en", "fr", "xx", "eng_Latn", "simple", "first", "none",
     "sigmoid", "softmax", "word", "char", "{}", "This is {}.", "NONE", "do_not_pad", "longest", "translate"]
)  # fmt: skip
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64),
    st.sampled_from([0, -1, 1, 2, 10**6, 2**31 - 1, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    PROMPTS,
    WORDS,
)
JSON = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.one_of(WORDS, st.text(max_size=4)), inner, max_size=3)
    ),
    max_leaves=10,
)
TABLES = st.dictionaries(st.one_of(st.text(max_size=4), WORDS), st.lists(JSON, max_size=5), max_size=4)
INPUTS = st.one_of(
    JSON,
    st.fixed_dictionaries({"question": JSON, "context": JSON}),
    st.fixed_dictionaries({"query": JSON, "table": st.one_of(TABLES, JSON)}),
    st.fixed_dictionaries({"source_sentence": JSON, "sentences": JSON}),
    st.lists(st.one_of(PROMPTS, WORDS), min_size=1, max_size=40),
)
PARAMETERS = st.one_of(st.dictionaries(st.sampled_from(PARAMETER_NAMES), JSON, max_size=4), JSON)

# Requests shaped as each task takes them, their values hostile but of the right type: what gets past the
# checks into the runner (long texts read in windows, masks everywhere, strides past the window…).
TEXTS = st.one_of(PROMPTS, WORDS, st.sampled_from(["word " * 300, "Paris. " * 90, "[MASK] " * 40, "é" * 2000]))
COUNTS = st.sampled_from([-1, 0, 1, 2, 3, 16, 127, 128, 129, 10**6, 2**63])
GENERATE = st.dictionaries(
    st.sampled_from(["max_new_tokens", "temperature", "do_sample", "num_beams", "top_k", "top_p",
                     "repetition_penalty", "early_stopping", "min_new_tokens", "no_repeat_ngram_size"]),
    st.one_of(COUNTS, st.booleans(), st.sampled_from([0.0, 0.5, 1e-9, 2.0, float("nan")])),
    max_size=3,
)  # fmt: skip
TABLE_CELLS = st.dictionaries(
    st.one_of(WORDS, st.text(min_size=1, max_size=4)),
    st.lists(st.one_of(TEXTS, st.integers(), st.floats()), min_size=1, max_size=3),
    min_size=1,
    max_size=3,
)
SHAPED: dict[str, Any] = {
    "fz-clf": (st.one_of(TEXTS, st.lists(TEXTS, min_size=1, max_size=8)),
               {"top_k": COUNTS, "function_to_apply": st.sampled_from(["sigmoid", "softmax", "none", "x"])}),
    "fz-ner": (TEXTS, {"aggregation_strategy": st.sampled_from(["none", "simple", "first", "max", "average", "x"]),
                       "stride": COUNTS, "ignore_labels": st.lists(WORDS, max_size=3)}),
    "fz-nli": (TEXTS, {"candidate_labels": st.lists(TEXTS, min_size=1, max_size=12), "multi_label": st.booleans(),
                       "hypothesis_template": st.one_of(WORDS, TEXTS)}),
    "fz-mlm": (st.one_of(TEXTS, st.lists(TEXTS, min_size=1, max_size=4)),
               {"top_k": COUNTS, "targets": st.lists(TEXTS, min_size=1, max_size=4)}),
    "fz-qa": (st.fixed_dictionaries({"question": TEXTS, "context": TEXTS}),
              {"top_k": COUNTS, "doc_stride": COUNTS, "max_answer_len": COUNTS, "max_seq_len": COUNTS,
               "max_question_len": COUNTS, "handle_impossible_answer": st.booleans(), "align_to_words": st.booleans()}),
    "fz-tqa": (st.fixed_dictionaries({"query": TEXTS, "table": TABLE_CELLS}),
               {"padding": st.sampled_from(["do_not_pad", "longest", "max_length"]), "sequential": st.booleans(),
                "truncation": st.booleans()}),
    "fz-sum": (TEXTS, {"generate_parameters": GENERATE, "clean_up_tokenization_spaces": st.booleans(),
                       "truncation": st.sampled_from(["do_not_truncate", "longest_first", "x"])}),
    "fz-mt": (TEXTS, {"src_lang": WORDS, "tgt_lang": WORDS, "generate_parameters": GENERATE}),
}  # fmt: skip
AUDIO_PARAMETERS = {
    "return_timestamps": st.sampled_from([True, False, "word", "char"]),
    "generate_kwargs": GENERATE,
    "generate_parameters": GENERATE,
    "language": WORDS,
    "task": st.sampled_from(["transcribe", "translate", "x"]),
    "top_k": COUNTS,
}

Call = tuple[str, str, dict[str, Any]]
"""(method description, path, httpx keyword arguments)."""


@st.composite
def task_call(draw: st.DrawFn) -> Call:
    """One request to a Hub task's route, with hostile fields."""
    kind = draw(st.sampled_from(["json", "json", "json", "raw", "base64", "openai-audio", "tei", "vllm"]))
    if kind == "raw":
        return "raw", f"/hf/{draw(st.sampled_from(AUDIO_IDS))}", _raw(draw(AUDIO), draw(CONTENT_TYPES))
    if kind == "base64":
        import base64

        inputs = base64.b64encode(draw(AUDIO)).decode()
        body = {"inputs": draw(st.sampled_from([inputs, inputs[:-3], "not base64!", ""]))}
        if draw(st.booleans()):
            body["parameters"] = draw(st.one_of(PARAMETERS, st.fixed_dictionaries({}, optional=AUDIO_PARAMETERS)))
        return "json", f"/hf/{draw(st.sampled_from(AUDIO_IDS))}", _json(body)
    if kind == "openai-audio":
        return "form", f"/v1/audio/{draw(st.sampled_from(['transcriptions', 'translations']))}", _form(draw)
    if kind == "tei":
        route = draw(st.sampled_from(["predict", "similarity", "embed_all", "decode"]))
        body = {"inputs": draw(INPUTS)} if route != "decode" else {"ids": draw(JSON)}
        if draw(st.booleans()):
            body |= draw(st.dictionaries(st.sampled_from(["raw_scores", "truncate", "normalize"]), JSON, max_size=2))
        return "json", f"/hf/{draw(st.sampled_from(TEXT_IDS))}/{route}", _json(body)
    if kind == "vllm":
        path = draw(st.sampled_from(["/classify", "/score", "/v1/moderations"]))
        body = {"model": draw(st.sampled_from([*TEXT_IDS, "no-such"])), "input": draw(INPUTS)}
        if path == "/score":
            body = {"model": body["model"], "text_1": draw(JSON), "text_2": draw(JSON)}
        return "json", path, _json(body)
    if draw(st.booleans()):
        inference_id = draw(st.sampled_from(list(SHAPED)))
        inputs, parameters = SHAPED[inference_id]
        chosen = draw(st.fixed_dictionaries({}, optional=parameters))
        return "shaped", f"/hf/{inference_id}", _json({"inputs": draw(inputs), "parameters": chosen})
    body = {"inputs": draw(INPUTS)}
    if draw(st.booleans()):
        body["parameters"] = draw(PARAMETERS)
    return "json", f"/hf/{draw(st.sampled_from(list(TASK_ENDPOINTS)))}", _json(body)


def _json(body: dict[str, Any]) -> dict[str, Any]:
    raw = json.dumps(body, ensure_ascii=True, allow_nan=True).encode()
    return {"content": raw, "headers": {"content-type": "application/json"}}


def _raw(data: bytes, content_type: str) -> dict[str, Any]:
    return {"content": data, "headers": {"content-type": content_type} if content_type else {}}


def _form(draw: st.DrawFn) -> dict[str, Any]:
    fields = {
        "model": draw(st.sampled_from([*AUDIO_IDS, "fz-clf", "no-such", ""])),
        "response_format": draw(st.sampled_from(["json", "text", "srt", "vtt", "verbose_json", "mp3", ""])),
    }
    for name, values in (
        ("language", st.sampled_from(["en", "fr", "xx", "english", ""])),
        ("prompt", st.one_of(PROMPTS, st.sampled_from(["word " * 300, "Paris. " * 90]))),
        ("temperature", st.sampled_from(["0", "0.5", "1", "-1", "2", "nan", "x"])),
        ("timestamp_granularities[]", st.sampled_from(["word", "segment", "char"])),
        ("stream", st.sampled_from(["true", "false", "maybe"])),
    ):
        if draw(st.booleans()):
            fields[name] = draw(values).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    files = {"file": ("a.wav", draw(AUDIO), draw(CONTENT_TYPES) or "application/octet-stream")}
    return {"data": fields, "files": files} if draw(st.integers(0, 9)) else {"data": fields}


def send_task(client: httpx.Client, call: Call) -> str | None:
    """Send one task request; what was wrong with its answer, or ``None``."""
    kind, path, kwargs = call
    shown = repr(kwargs.get("content", kwargs.get("data")))[:300]
    try:
        response = client.post(path, timeout=ANSWER_SECONDS, **kwargs)
    except httpx.TimeoutException:
        return f"POST {path} ({kind}) not answered within {ANSWER_SECONDS:g}s: {shown}"
    if response.status_code >= 500:
        return f"POST {path} ({kind}) answered {response.status_code}: {shown} -> {response.text[:300]}"
    return None
