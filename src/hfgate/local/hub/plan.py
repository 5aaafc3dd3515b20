"""Which of a Hub repository's files a local loader needs, and whether it can run the model at all.

Decided from the repository's file list (the Hub's model info) and its ``config.json``, before any
weights are fetched: small files first (config, tokenizer, sentence-transformers' modules), then one set
of weights (safetensors over ``.bin``, the root model only: never ``onnx/`` or ``openvino/`` copies),
or one GGUF file of a GGUF repository.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from hfgate.errors import BadRequestError

# transformers' and sentence-transformers' own small files, at the repository's root.
_ROOT_FILES = frozenset(
    {
        "config.json",
        "generation_config.json",
        "config_sentence_transformers.json",
        "modules.json",
        "sentence_bert_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "added_tokens.json",
        "vocab.txt",
        "vocab.json",
        "merges.txt",
        "sentencepiece.bpe.model",
        "spiece.model",
        "tokenizer.model",
        "chat_template.jinja",
    }
)
# sentence-transformers' module folders (1_Pooling, 2_Dense, 3_Normalize): their config and weights.
_MODULE_FILE = re.compile(r"^\d+_[A-Za-z]+/[^/]+\.(json|safetensors|bin|txt)$")
_WEIGHTS = (
    ("model.safetensors", "model.safetensors.index.json", re.compile(r"^model-\d+-of-\d+\.safetensors$")),
    ("pytorch_model.bin", "pytorch_model.bin.index.json", re.compile(r"^pytorch_model-\d+-of-\d+\.bin$")),
)
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".onnx", ".h5", ".msgpack")


def small_files(files: Collection[str]) -> list[str]:
    """The files read before the weights: config, tokenizer, sentence-transformers' module files."""
    module_files = [f for f in files if _MODULE_FILE.match(f) and not f.endswith((".safetensors", ".bin"))]
    return sorted(f for f in files if f in _ROOT_FILES) + sorted(module_files)


def weight_files(repo_id: str, files: Collection[str]) -> list[str]:
    """One set of weights: safetensors when the repository has them, else PyTorch ``.bin``; with a
    sentence-transformers module's own weights (``2_Dense/model.safetensors``). A repository with no
    weights at its root whose first module holds the model (``0_CLIPModel/pytorch_model.bin``, as
    sentence-transformers/clip-ViT-B-32) gives that module's.

    Raises:
        BadRequestError: the repository has neither (TensorFlow or ONNX only), naming what it has.
    """
    modules = sorted(f for f in files if _MODULE_FILE.match(f) and f.endswith((".safetensors", ".bin")))
    for single, index, shard in _WEIGHTS:
        if single in files:
            return [single, *_one_kind(modules, single)]
        shards = sorted(f for f in files if shard.match(f))
        if index in files and shards:
            return [index, *shards, *_one_kind(modules, single)]
    for single, _, _ in _WEIGHTS:
        first = [f for f in modules if f.startswith("0_") and f.endswith("/" + single)]
        if first:
            return [*first, *(f for f in _one_kind(modules, single) if f not in first)]
    found = sorted(f for f in files if f.endswith(WEIGHT_SUFFIXES)) or ["no weights"]
    raise BadRequestError(
        f"[service_settings.model] [{repo_id}] has no safetensors or PyTorch weights at its root "
        f"(it has {', '.join(found[:5])}); hfgate's local engines load those; pick a repository that has them",
        param="service_settings.model",
    )


def _one_kind(modules: list[str], single: str) -> list[str]:
    suffix = single.rsplit(".", 1)[1]
    return [f for f in modules if f.endswith(suffix)]


def gguf_file(repo_id: str, files: Collection[str], *, quantization: str | None, chosen: str | None) -> str:
    """The one GGUF file to fetch: ``chosen`` (``gguf_file``), else the one tagged ``quantization``
    (``Q4_K_M``, case-insensitive, as Ollama's ``hf.co/{repo}:{tag}``), else the only one.

    Raises:
        BadRequestError: no such file, or several and nothing says which; the message lists them.
    """
    ggufs = sorted(f for f in files if f.endswith(".gguf"))
    if chosen is not None:
        picked = [f for f in ggufs if f == chosen]
    elif quantization is not None:
        picked = [f for f in ggufs if quantization.lower() in f.lower()]
    else:
        picked = ggufs
    if len(picked) == 1:
        return picked[0]
    asked = chosen or quantization
    what = "matches" if asked else "is the only GGUF file"
    raise BadRequestError(
        f"No single GGUF file of [{repo_id}] {what}{f' [{asked}]' if asked else ''}; it has [{', '.join(ggufs)}]: "
        "name one with [service_settings.gguf_file] or a tag, as in [hf.co/{repo}:Q4_K_M]",
        param="service_settings.gguf_file",
    )


def check_architecture(repo_id: str, config: Mapping[str, Any]) -> None:
    """Refuse a model the local engines cannot load, from its ``config.json`` (no weights fetched yet).

    Raises:
        BadRequestError: it needs custom code (``auto_map``), or transformers knows no ``model_type``.
    """
    if config.get("auto_map"):
        raise BadRequestError(
            f"[service_settings.model] [{repo_id}] needs its own Python code (its config.json has auto_map: "
            "trust_remote_code), which hfgate does not run; pick a model with a transformers architecture",
            param="service_settings.model",
        )
    from transformers import CONFIG_MAPPING

    model_type = config.get("model_type")
    if model_type not in CONFIG_MAPPING:
        raise BadRequestError(
            f"[service_settings.model] [{repo_id}] has model_type [{model_type}], which this transformers "
            "does not know, so hfgate cannot run it locally; upgrade transformers or pick another model",
            param="service_settings.model",
        )
