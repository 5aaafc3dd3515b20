"""Tiny vision models of the real architectures, random weights, built in the test: what the vision tasks'
tests run (the checks compare hfgate's answers with transformers' own pipeline on the same weights)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

LABELS = ["tabby cat", "golden retriever", "sports car", "espresso"]
OBJECTS = ["cat", "dog", "car"]
LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789.,!?'"
CLIP_VOCAB = ["<|startoftext|>", "<|endoftext|>", *[c + end for c in LETTERS for end in ("", "</w>")]]
"""A CLIP tokenizer's vocabulary of single characters (no merges): every word of the tests' labels and
templates spells out, and each text ends in ``<|endoftext|>``, where CLIP pools its text."""


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


def clip_model(path: Path) -> Path:
    """A CLIP (two 2-layer towers, 32 hidden, 16-dimensional projections, 32-pixel images) as transformers
    saves it, with its processor (a character-level tokenizer, :data:`CLIP_VOCAB`)."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    torch.manual_seed(0)
    layers: dict[str, Any] = {"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2,
                              "num_attention_heads": 4}  # fmt: skip
    text = {**layers, "vocab_size": len(CLIP_VOCAB), "max_position_embeddings": 64, "bos_token_id": 0,
            "eos_token_id": 1, "pad_token_id": 1}  # fmt: skip
    vision = {**layers, "image_size": 32, "patch_size": 8}
    config = CLIPConfig(text_config=text, vision_config=vision, projection_dim=16)
    model = CLIPModel(config).eval()
    with torch.no_grad():  # scores far enough apart that their order does not hang on rounding
        model.logit_scale.fill_(3.0)
    model.save_pretrained(path)
    tokenizer = CLIPTokenizer(vocab={token: n for n, token in enumerate(CLIP_VOCAB)}, merges=[])
    tokenizer.model_max_length = 64
    images = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    CLIPProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(path)
    return path


def yolos_detector(path: Path) -> Path:
    """A YOLOS object detector (a plain ViT: no backbone to download): 32-pixel patches of images resized to
    at most 64 pixels, ten detection tokens, three labels."""
    import torch
    from transformers import YolosConfig, YolosForObjectDetection, YolosImageProcessor

    torch.manual_seed(0)
    config = YolosConfig(image_size=[64, 64], patch_size=16, hidden_size=32, num_hidden_layers=2,
                         num_attention_heads=2, intermediate_size=64, num_detection_tokens=10,
                         num_labels=len(OBJECTS), id2label=dict(enumerate(OBJECTS)),
                         label2id={label: n for n, label in enumerate(OBJECTS)})  # fmt: skip
    model = YolosForObjectDetection(config).eval()
    with torch.no_grad():  # transformers starts these at zero: every detection token would see the same box
        for name, weights in model.named_parameters():
            if "detection_tokens" in name or "position_embeddings" in name or "class_labels_classifier" in name:
                weights.normal_(std=1.0)
    model.save_pretrained(path)
    YolosImageProcessor(size={"shortest_edge": 48, "longest_edge": 64}).save_pretrained(path)
    return path


def picture(seed: int, *, size: tuple[int, int] = (48, 40), kind: str = "PNG") -> bytes:
    """An image of random pixels (``kind``: PNG, JPEG, WEBP…)."""
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format=kind)
    return out.getvalue()


def pipeline_answer(path: Path, image: bytes, task: str = "image-classification", **parameters: Any) -> Any:
    """transformers' own ``task`` pipeline on the model at ``path``, float32 on the CPU."""
    from PIL import Image
    from transformers import pipeline

    pipe = pipeline(task, model=str(path), device="cpu")
    return pipe(Image.open(io.BytesIO(image)).convert("RGB"), **parameters)
