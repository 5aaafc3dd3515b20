"""Every ``InferenceClient`` method of the speech and language tasks against the ``local`` service, each
answer compared with transformers' own pipeline on the same weights (or, where transformers 5 has none,
with the decoding written out here)."""

from __future__ import annotations

import httpx
import pytest
from transformers import pipeline

from tests.pipelines.conftest import client
from tests.pipelines.tiny_models import TinyModels, tone_wav

TEXT = "Paris is the capital of France, and Marie lives there."


def _same(ours: list[dict], theirs: list[dict], *, keys: tuple[str, ...]) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        for key in keys:
            assert a[key] == b[key], (a, b)
        assert a["score"] == pytest.approx(b["score"], abs=1e-4)


def test_text_classification_gives_every_label_as_the_pipeline_does(served: str, tiny: TinyModels) -> None:
    ours = client(served, "clf").text_classification(TEXT)
    (theirs,) = pipeline("text-classification", model=str(tiny.classifier), top_k=None)([TEXT])
    _same([o.__dict__ for o in ours], theirs, keys=("label",))
    assert len(ours) == 3


def test_token_classification_aggregates_as_the_pipeline_does(served: str, tiny: TinyModels) -> None:
    for strategy in ("none", "simple", "first", "max", "average"):
        ours = client(served, "ner").token_classification(TEXT, aggregation_strategy=strategy)
        theirs = pipeline("token-classification", model=str(tiny.ner), aggregation_strategy=strategy)(TEXT)
        group = "entity" if strategy == "none" else "entity_group"
        _same([o.__dict__ for o in ours], theirs, keys=(group, "word", "start", "end"))
    ours = client(served, "ner").token_classification(TEXT, ignore_labels=["PER"])
    theirs = pipeline("token-classification", model=str(tiny.ner), aggregation_strategy="simple")(
        TEXT, ignore_labels=["PER"]
    )
    _same([o.__dict__ for o in ours], theirs, keys=("entity_group", "word", "start", "end"))


def test_zero_shot_classification_scores_the_given_labels(served: str, tiny: TinyModels) -> None:
    labels = ["travel", "cooking", "sports"]
    ours = client(served, "nli").zero_shot_classification(TEXT, labels, multi_label=True)
    theirs = pipeline("zero-shot-classification", model=str(tiny.nli))(TEXT, candidate_labels=labels, multi_label=True)
    assert [o.label for o in ours] == theirs["labels"]
    assert [o.score for o in ours] == pytest.approx(theirs["scores"], abs=1e-4)


def test_fill_mask_fills_the_mask_token(served: str, tiny: TinyModels) -> None:
    ours = client(served, "mlm").fill_mask("Paris is the [MASK] of France.", top_k=3)
    theirs = pipeline("fill-mask", model=str(tiny.masked))("Paris is the [MASK] of France.", top_k=3)
    _same([o.__dict__ for o in ours], theirs, keys=("token", "token_str", "sequence"))


def test_speech_recognition_and_audio_classification_hear_a_wav(served: str, tiny: TinyModels) -> None:
    wav = tone_wav(1.0)
    heard = client(served, "asr").automatic_speech_recognition(wav)
    import numpy as np

    from hfgate.pipelines.audio import AudioFile, decode

    samples = decode(AudioFile(data=wav), rate=16000).array
    theirs = pipeline("automatic-speech-recognition", model=str(tiny.ctc))({"raw": samples, "sampling_rate": 16000})
    assert heard.text == theirs["text"].strip()
    labels = client(served, "kws").audio_classification(wav)
    reference = pipeline("audio-classification", model=str(tiny.audio_classifier))(
        {"raw": samples, "sampling_rate": 16000}, top_k=4
    )
    _same([o.__dict__ for o in labels], reference, keys=("label",))
    assert np.isfinite(samples).all()


def test_sentence_similarity_is_the_cosine_of_the_embeddings(served: str) -> None:
    scores = client(served, "sim").sentence_similarity("a cat sits", ["a cat is sitting", "stock markets fell"])
    assert len(scores) == 2
    assert scores[0] > scores[1]


def test_question_answering_finds_the_best_span_of_the_context(served: str, tiny: TinyModels) -> None:
    import numpy as np
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    question, context = "Where does Marie live?", TEXT
    ours = client(served, "qa").question_answering(question=question, context=context)
    tokenizer = AutoTokenizer.from_pretrained(str(tiny.qa))
    model = AutoModelForQuestionAnswering.from_pretrained(str(tiny.qa)).eval()
    enc = tokenizer(question, context, return_offsets_mapping=True, return_tensors="pt")
    with torch.inference_mode():
        out = model(
            input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], token_type_ids=enc["token_type_ids"]
        )
    in_context = np.array([s == 1 for s in enc.sequence_ids(0)])
    in_context[0] = True  # the first token: the empty answer's, allowed as transformers 4 allowed it

    def probabilities(logits: torch.Tensor) -> np.ndarray:
        masked = np.where(in_context, logits[0].numpy(), -10000.0)
        exp = np.exp(masked - masked.max())
        return exp / exp.sum()

    start, end = probabilities(out.start_logits), probabilities(out.end_logits)
    spans = [
        (start[s] * end[e], s, e)
        for s in range(len(start))
        for e in range(s, min(s + 15, len(end)))
        if in_context[s] and in_context[e]
    ]
    score, s, e = max(spans)
    word = enc.encodings[0]
    first = word.word_to_chars(word.token_to_word(s), sequence_index=1)[0] if s else int(enc["offset_mapping"][0][s][0])
    last = word.word_to_chars(word.token_to_word(e), sequence_index=1)[1] if e else int(enc["offset_mapping"][0][e][1])
    assert (ours.start, ours.end, ours.answer) == (first, last, context[first:last])
    assert ours.score == pytest.approx(float(score), abs=1e-4)
    several = client(served, "qa").question_answering(question=question, context=context, top_k=3)
    assert isinstance(several, list)
    assert len(several) == 3
    assert several[0].score >= several[1].score >= several[2].score


TABLE = {"Repository": ["Transformers", "Datasets", "Tokenizers"], "Stars": ["36542", "4512", "3934"]}


def test_table_question_answering_selects_the_cells_the_pipeline_does(served: str, tiny: TinyModels) -> None:
    pipe = pipeline("table-question-answering", model=str(tiny.tapas))
    query = "How many stars does the transformers repository have?"
    ours = client(served, "tqa").table_question_answering(TABLE, query)
    theirs = pipe(table=TABLE, query=query)
    assert ours.cells
    assert (ours.answer, ours.cells, ours.aggregator) == (theirs["answer"], theirs["cells"], theirs["aggregator"])
    assert ours.coordinates == [list(c) for c in theirs["coordinates"]]
    # numbers are read as their text, and the pipeline's own parameters are taken
    numbers = {"Repository": TABLE["Repository"], "Stars": [36542, 4512, 3934]}
    asked = client(served, "tqa").table_question_answering(numbers, query, padding="max_length", sequential=True)
    theirs = pipe(table=TABLE, query=query, padding="max_length", sequential=True)
    assert (asked.answer, asked.cells) == (theirs["answer"], theirs["cells"])


def test_summarization_and_translation_generate_as_the_model_does(served: str, tiny: TinyModels) -> None:
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    def written(path: object) -> str:
        model = AutoModelForSeq2SeqLM.from_pretrained(str(path)).eval()
        with torch.inference_mode():
            ids = model.generate(**tokenizer([TEXT], return_tensors="pt", return_token_type_ids=False))
        return str(tokenizer.batch_decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)[0])

    tokenizer = AutoTokenizer.from_pretrained(str(tiny.seq2seq))
    assert client(served, "sum").summarization(TEXT).summary_text == written(tiny.seq2seq)
    assert client(served, "mt").translation(TEXT).translation_text == written(tiny.translator)
    longer = client(served, "sum").summarization(TEXT, generate_parameters={"max_new_tokens": 3}).summary_text
    assert len(tokenizer(longer, add_special_tokens=False)["input_ids"]) <= 3


def test_a_text_longer_than_the_window_is_read_whole(served: str, tiny: TinyModels) -> None:
    long = "Marie Curie lived in Paris and worked hard. " * 40  # ~400 tokens: past the models' 128
    labels = client(served, "clf").text_classification(long)
    assert len(labels) == 3
    assert sum(label.score for label in labels) == pytest.approx(1.0, abs=1e-4)  # a mean of softmaxes
    entities = client(served, "ner").token_classification(long)
    theirs = pipeline("token-classification", model=str(tiny.ner), aggregation_strategy="simple")(long, stride=32)
    _same([e.__dict__ for e in entities], theirs, keys=("entity_group", "word", "start", "end"))
    assert max(e.end for e in entities) > len(long) // 2  # entities past the first window, at their place in the text
    refused = httpx.post(f"{served}/hf/ner", json={"inputs": long, "parameters": {"aggregation_strategy": "none"}})
    assert refused.status_code in (400, 422)
    assert "aggregation_strategy" in refused.text
