"""Tiny random-weight transformers models built offline, for plumbing tests of the generation engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SENTENCES = [
    "the quick brown fox jumps over the lazy dog",
    "a model turns words into other words",
    "translate english to german : the house is small",
    "summarize : hfgate puts models behind one api",
]
CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }} : {{ m['content'] }} [SEP] {% endfor %}"
    "{% if add_generation_prompt %}assistant : {% endif %}"
)


def build_tokenizer() -> Any:
    """A word-level tokenizer over :data:`SENTENCES`: [PAD]=0, [EOS]=1, [UNK]=2, [SEP]=3."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    specials = ["[PAD]", "[EOS]", "[UNK]", "[SEP]"]
    core.train_from_iterator([*SENTENCES, "user assistant system"], trainers.WordLevelTrainer(special_tokens=specials))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="[PAD]", eos_token="[EOS]", unk_token="[UNK]")
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def byte_level_tokenizer(text: str) -> Any:
    """A byte-level BPE tokenizer (400 tokens, ``<eos>``) trained on ``text``: any string encodes, and the
    strings of ``text`` take few tokens, as a real model's vocabulary would give them."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<eos>"], initial_alphabet=alphabet)
    core.train_from_iterator([text] * 20, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=core, eos_token="<eos>")


def save_tiny_t5(path: Path) -> Path:
    """An encoder-decoder (T5) with two tiny layers and seeded random weights."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    tokenizer = build_tokenizer()
    config = T5Config(
        vocab_size=len(tokenizer), d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
        pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
    )  # fmt: skip
    torch.manual_seed(0)
    T5ForConditionalGeneration(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def save_tiny_llama(path: Path, *, heads: int = 4) -> Path:
    """A decoder-only (Llama) model with two tiny layers, seeded random weights and a chat template;
    ``heads`` 2 gives heads of 16 dimensions, the least ONNX Runtime's quantized attention takes."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = build_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=heads, num_key_value_heads=2, max_position_embeddings=256,
        pad_token_id=0, eos_token_id=1, bos_token_id=None,
    )  # fmt: skip
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
