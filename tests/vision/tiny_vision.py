"""Tiny vision models of the real architectures, random weights, built in the test: what the vision tasks'
tests run (the checks compare hfgate's answers with transformers' own pipeline on the same weights)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

LABELS = ["tabby cat", "golden retriever", "sports car", "espresso"]


def vit_classifier(path: Path) -> Path:
    """A ViT image classifier: 32 × 32 images in 8 × 8 patches, four labels."""
    import torch
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    torch.manual_seed(0)
    config = ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                       intermediate_size=64, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
                       label2id={label: n for n, label in enumerate(LABELS)})  # fmt: skip
    model = ViTForImageClassification(config).eval()
    with torch.no_grad():  # scores far enough apart that their order does not hang on rounding
        model.classifier.weight.mul_(20)
    model.save_pretrained(path)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(path)
    return path


def picture(seed: int, *, size: tuple[int, int] = (48, 40), kind: str = "PNG") -> bytes:
    """An image of random pixels (``kind``: PNG, JPEG, WEBP…)."""
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format=kind)
    return out.getvalue()


def pipeline_answer(path: Path, image: bytes, **parameters: Any) -> Any:
    """transformers' own image-classification pipeline on the model at ``path``, float32 on the CPU."""
    from PIL import Image
    from transformers import pipeline

    pipe = pipeline("image-classification", model=str(path), device="cpu")
    return pipe(Image.open(io.BytesIO(image)).convert("RGB"), **parameters)
