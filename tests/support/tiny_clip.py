"""A tiny CLIP model with random weights, saved as sentence-transformers saves one (text and images in one
space), and PNG images made with PIL: an image-and-text model for tests that needs no download."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

VOCAB = ["<|startoftext|>", "<|endoftext|>", *[c + end for c in "abcdefghijklmnopqrstuvwxyz" for end in ("", "</w>")]]


def save_tiny_clip(directory: Path) -> Path:
    """A 2-layer CLIP (32 hidden, 16-dimensional projections, 32-pixel images) under ``directory / "st"``."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Transformer
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizerFast

    raw = directory / "clip"
    raw.mkdir(parents=True, exist_ok=True)
    # the vocabulary itself, not vocab_file=, which transformers 5 ignores (every text was then [0, 2, 2, …])
    tokenizer = CLIPTokenizerFast(vocab={token: i for i, token in enumerate(VOCAB)}, merges=[])
    layers: dict[str, Any] = {
        "hidden_size": 32,
        "intermediate_size": 37,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
    }
    text = {**layers, "vocab_size": len(VOCAB), "max_position_embeddings": 32, "bos_token_id": 0, "eos_token_id": 1}
    config = CLIPConfig(
        text_config={**text, "pad_token_id": 1},
        vision_config={**layers, "image_size": 32, "patch_size": 8},
        projection_dim=16,
    )
    torch.manual_seed(0)
    CLIPModel(config).save_pretrained(raw)
    images = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    CLIPProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(raw)
    saved = directory / "st"
    SentenceTransformer(modules=[Transformer(str(raw))]).save(str(saved))
    return saved


def save_legacy_clip(directory: Path) -> Path:
    """The same CLIP laid out as sentence-transformers/clip-ViT-B-32 is on the Hub: the transformers model
    in a ``0_CLIPModel`` module (``sentence_transformers.models.CLIPModel``), nothing at the root but
    ``modules.json`` and ``config_sentence_transformers.json``."""
    import shutil

    save_tiny_clip(directory)
    legacy = directory / "legacy"
    shutil.copytree(
        directory / "clip", legacy / "0_CLIPModel", ignore=shutil.ignore_patterns("vocab.json", "merges.txt")
    )
    module = {"idx": 0, "name": "0", "path": "0_CLIPModel", "type": "sentence_transformers.models.CLIPModel"}
    (legacy / "modules.json").write_text(json.dumps([module]), encoding="utf-8")
    (legacy / "config_sentence_transformers.json").write_text(json.dumps({"__version__": {}}), encoding="utf-8")
    return legacy


def png(width: int, height: int, *, seed: int = 0) -> bytes:
    """A PNG of ``width`` × ``height`` pixels with a pattern that depends on ``seed``."""
    from PIL import Image

    image = Image.new("RGB", (width, height))
    image.putdata(
        [
            ((x * 7 + seed) % 256, (y * 13 + seed * 3) % 256, (x * y + seed) % 256)
            for y in range(height)
            for x in range(width)
        ]
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"
