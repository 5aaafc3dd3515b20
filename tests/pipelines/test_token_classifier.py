"""The local token classifier (the model's head, batched) gives transformers' own pipeline's entities on the same
weights: every aggregation strategy, ``ignore_labels``, offsets and words of the original text, a text longer
than the window read in overlapping windows, on torch and on ONNX Runtime once switched."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from hfgate.errors import BadRequestError
from hfgate.local.cache import Compute
from hfgate.local.pipelines.token_classifier import TokenClassifier
from hfgate.pipelines import PIPELINES
from hfgate.tasks import TaskType
from tests.pipelines.tiny_models import TinyModels

STRATEGIES = ("none", "simple", "first", "average", "max")
TEXTS = (
    "Paris is the capital of France, and Marie lives there.",
    "  Johannesburg and Ouagadougou host Bartholomew's unbelievably idiosyncratic friends ☃ today!",
    "x",
)
LONG = "Marie Curie lived in Paris and worked hard in Warszawa. " * 30  # ~450 tokens: past the model's 128


@cache
def _pipeline(path: Path) -> Any:
    from transformers import pipeline

    return pipeline("token-classification", model=str(path))


def _same(ours: Sequence[dict[str, Any]], theirs: Sequence[dict[str, Any]]) -> None:
    keys = ("entity", "index", "word", "start", "end") if theirs and "entity" in theirs[0] else \
        ("entity_group", "word", "start", "end")  # fmt: skip
    assert [[a[k] for k in keys] for a in ours] == [[b[k] for k in keys] for b in theirs]
    assert [a["score"] for a in ours] == pytest.approx([float(b["score"]) for b in theirs], abs=1e-4)


async def _ask(runner: TokenClassifier, texts: Sequence[str], **parameters: Any) -> Any:
    request = PIPELINES[TaskType.TOKEN_CLASSIFICATION].request(list(texts), parameters)
    return (await runner.run(request)).body


def _runner(path: Path, cache_dir: Path | None = None) -> TokenClassifier:
    return TokenClassifier(path, compute=Compute(), name="ner", cache_dir=cache_dir)


@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_every_aggregation_strategy_gives_the_pipelines_entities(tiny: TinyModels, strategy: str) -> None:
    runner = _runner(tiny.ner)
    try:
        ours = await _ask(runner, TEXTS, aggregation_strategy=strategy)
    finally:
        runner.close()
    theirs = _pipeline(tiny.ner)(list(TEXTS), aggregation_strategy=strategy)
    for a, b in zip(ours, theirs, strict=True):
        _same(a, b)
    assert sum(len(each) for each in ours) >= 3  # random weights, yet entities to compare
    for text, found in zip(TEXTS, ours, strict=True):  # offsets into the text as sent, leading spaces kept
        assert all(0 <= e["start"] < e["end"] <= len(text) for e in found)


@pytest.mark.parametrize(("strategy", "ignore"), [("none", ["B-PER", "I-LOC"]), ("simple", ["PER"]),
                                                  ("average", ["LOC", "O"]), ("first", ["nothing"])])  # fmt: skip
async def test_ignore_labels_drop_what_the_pipeline_drops(tiny: TinyModels, strategy: str, ignore: list[str]) -> None:
    runner = _runner(tiny.ner)
    try:
        ours = await _ask(runner, TEXTS[:2], aggregation_strategy=strategy, ignore_labels=ignore)
    finally:
        runner.close()
    theirs = _pipeline(tiny.ner)(list(TEXTS[:2]), aggregation_strategy=strategy, ignore_labels=ignore)
    for a, b in zip(ours, theirs, strict=True):
        _same(a, b)
    key = "entity" if strategy == "none" else "entity_group"
    assert not any(e[key] in ignore for found in ours for e in found)
    if "O" not in ignore:
        assert any(e[key] == "O" for found in ours for e in found)  # the default ["O"] no longer applies


@pytest.mark.parametrize(("strategy", "stride"), [("simple", None), ("first", 10), ("average", 60), ("max", 0)])
async def test_a_text_longer_than_the_window_is_read_in_the_pipelines_windows(
    tiny: TinyModels, strategy: str, stride: int | None
) -> None:
    runner = _runner(tiny.ner)
    parameters = {"aggregation_strategy": strategy} | ({} if stride is None else {"stride": stride})
    try:
        ours = await _ask(runner, [LONG, TEXTS[0]], **parameters)
    finally:
        runner.close()
    # no stride asked: a quarter of the window (128 tokens)
    theirs = _pipeline(tiny.ner)(
        [LONG, TEXTS[0]], aggregation_strategy=strategy, stride=32 if stride is None else stride
    )
    for a, b in zip(ours, theirs, strict=True):
        _same(a, b)
    assert max(e["end"] for e in ours[0]) > len(LONG) * 3 // 4  # entities of the last windows, at their place
    assert all(LONG[e["start"] : e["end"]].strip() for e in ours[0])


async def test_what_cannot_be_read_as_asked_is_refused_naming_the_parameter(tiny: TinyModels) -> None:
    runner = _runner(tiny.ner)
    try:
        refusals = []
        for texts, parameters in (
            ([LONG], {"aggregation_strategy": "none"}),
            ([TEXTS[0]], {"aggregation_strategy": "none", "stride": 8}),
            ([LONG], {"stride": 126}),  # a window holds 126 tokens of text besides [CLS] and [SEP]
        ):
            with pytest.raises(BadRequestError) as refused:
                await _ask(runner, texts, **parameters)
            refusals.append((refused.value.param, refused.value.reason))
        assert (await _ask(runner, [LONG], stride=125))[0]  # the widest stride there is
    finally:
        runner.close()
    assert refusals[0][0] == "parameters.aggregation_strategy"
    assert "window (128 tokens)" in refusals[0][1]
    assert refusals[1] == ("parameters.stride", "`parameters.stride` needs an aggregation_strategy other than none")
    assert refusals[2][0] == "parameters.stride"
    assert "below 126" in refusals[2][1]


async def test_concurrent_requests_share_passes_and_each_gets_its_own_entities(tiny: TinyModels) -> None:
    runner = _runner(tiny.ner)
    try:
        alone = [await _ask(runner, [text]) for text in TEXTS]
        before = runner.forward_passes
        together = await asyncio.gather(*(_ask(runner, [text]) for text in TEXTS))
    finally:
        runner.close()
    assert runner.forward_passes - before < len(TEXTS)
    for a, b in zip(together, alone, strict=True):
        _same(a[0], b[0])


@pytest.mark.slow
async def test_on_onnx_runtime_once_switched_the_entities_are_the_pipelines(tiny: TinyModels, tmp_path: Path) -> None:
    runner = _runner(tiny.ner, cache_dir=tmp_path)
    try:
        assert await asyncio.to_thread(runner.switched.wait, 240)
        assert runner.engine == "onnx"
        answers = {strategy: await _ask(runner, [*TEXTS, LONG], aggregation_strategy=strategy)
                   for strategy in STRATEGIES[1:]}  # fmt: skip
        single = await _ask(runner, TEXTS, aggregation_strategy="none")
    finally:
        runner.close()
    for strategy, ours in answers.items():
        theirs = _pipeline(tiny.ner)([*TEXTS, LONG], aggregation_strategy=strategy, stride=32)
        for a, b in zip(ours, theirs, strict=True):
            _same(a, b)
    for a, b in zip(single, _pipeline(tiny.ner)(list(TEXTS), aggregation_strategy="none"), strict=True):
        _same(a, b)


@pytest.fixture(scope="module")
def byte_level_ner(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A BERT token classifier over a RoBERTa-style byte-level BPE, which marks no continuing pieces: words are
    told by the spaces around a token (the pipeline's fallback)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertForTokenClassification, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())  # fmt: skip
    bpe.train_from_iterator([TEXTS[0], "Marie Curie lived in Paris and worked hard"], trainer=trainer)
    bpe.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=True)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                        unk_token="<unk>", model_max_length=64)  # fmt: skip
    names = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    config = BertConfig(vocab_size=bpe.get_vocab_size(), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, id2label=dict(enumerate(names)),
                        label2id={n: i for i, n in enumerate(names)})  # fmt: skip
    torch.manual_seed(1)
    path = tmp_path_factory.mktemp("byte-level-ner")
    BertForTokenClassification(config).save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    return path


@pytest.mark.parametrize("strategy", STRATEGIES[1:])
async def test_a_vocabulary_without_word_pieces_joins_words_by_spaces_as_the_pipeline(
    byte_level_ner: Path, strategy: str
) -> None:
    import warnings

    runner = _runner(byte_level_ner)
    texts = [*TEXTS, LONG[:400]]
    try:
        ours = await _ask(runner, texts, aggregation_strategy=strategy)
    finally:
        runner.close()
    with warnings.catch_warnings():  # "Tokenizer does not support real words, using fallback heuristic"
        warnings.simplefilter("ignore", UserWarning)
        theirs = _pipeline(byte_level_ner)(texts, aggregation_strategy=strategy, stride=16)
    for a, b in zip(ours, theirs, strict=True):
        _same(a, b)
    assert any(" " in e["word"] for found in ours for e in found)  # words joined by the byte-level decoder
