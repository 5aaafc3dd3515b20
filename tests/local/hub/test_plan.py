"""Which files are fetched, read from a repository's file list alone (no Hub needed)."""

from __future__ import annotations

import pytest

from hfgate.errors import BadRequestError
from hfgate.local.hub.plan import check_architecture, gguf_file, small_files, weight_files
from hfgate.local.hub.reference import HubModel, hub_model
from hfgate.local.presets import preset

SENTENCE_REPO = [
    ".gitattributes",
    "README.md",
    "config.json",
    "modules.json",
    "sentence_bert_config.json",
    "tokenizer.json",
    "1_Pooling/config.json",
    "2_Dense/config.json",
    "2_Dense/model.safetensors",
    "2_Dense/pytorch_model.bin",
    "model.safetensors",
    "pytorch_model.bin",
    "tf_model.h5",
    "onnx/model.onnx",
    "openvino/openvino_model.bin",
]


def test_small_files_are_the_config_tokenizer_and_module_files_never_the_readme() -> None:
    assert small_files(SENTENCE_REPO) == [
        "config.json",
        "modules.json",
        "sentence_bert_config.json",
        "tokenizer.json",
        "1_Pooling/config.json",
        "2_Dense/config.json",
    ]


def test_safetensors_are_preferred_over_bin_and_exports_are_never_fetched() -> None:
    assert weight_files("r", SENTENCE_REPO) == ["model.safetensors", "2_Dense/model.safetensors"]
    assert weight_files("r", ["config.json", "pytorch_model.bin", "onnx/model.onnx"]) == ["pytorch_model.bin"]


def test_sharded_weights_are_fetched_with_their_index() -> None:
    files = ["model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    assert weight_files("r", files) == files


def test_a_repository_without_pytorch_weights_is_refused_naming_what_it_has() -> None:
    with pytest.raises(BadRequestError, match=r"has no safetensors or PyTorch weights .*tf_model\.h5"):
        weight_files("org/tf-only", ["config.json", "tf_model.h5"])


def test_a_model_held_by_its_first_module_is_fetched_from_there() -> None:
    clip = ["modules.json", "config_sentence_transformers.json", "0_CLIPModel/config.json",
            "0_CLIPModel/preprocessor_config.json", "0_CLIPModel/vocab.json", "0_CLIPModel/merges.txt",
            "0_CLIPModel/pytorch_model.bin"]  # fmt: skip
    assert weight_files("sentence-transformers/clip-ViT-B-32", clip) == ["0_CLIPModel/pytorch_model.bin"]
    assert "0_CLIPModel/preprocessor_config.json" in small_files(clip)
    with_safetensors = [*clip, "0_CLIPModel/model.safetensors"]
    assert weight_files("clip", with_safetensors) == ["0_CLIPModel/model.safetensors"]


def test_one_gguf_file_is_picked_by_its_quantization_tag_or_by_name() -> None:
    files = ["m.Q4_K_M.gguf", "m.Q8_0.gguf", "README.md"]
    assert gguf_file("r", files, quantization="q4_k_m", chosen=None) == "m.Q4_K_M.gguf"
    assert gguf_file("r", files, quantization=None, chosen="m.Q8_0.gguf") == "m.Q8_0.gguf"
    with pytest.raises(BadRequestError, match=r"it has \[m\.Q4_K_M\.gguf, m\.Q8_0\.gguf\]"):
        gguf_file("r", files, quantization=None, chosen=None)


def test_custom_code_and_unknown_model_types_are_refused() -> None:
    with pytest.raises(BadRequestError, match="trust_remote_code"):
        check_architecture("r", {"model_type": "bert", "auto_map": {"AutoModel": "x.Y"}})
    with pytest.raises(BadRequestError, match=r"model_type \[mystery\]"):
        check_architecture("r", {"model_type": "mystery"})
    check_architecture("r", {"model_type": "xlm-roberta"})


def test_model_ids_ollama_tags_and_presets_are_read() -> None:
    assert hub_model("intfloat/e5-small-v2") == HubModel("intfloat/e5-small-v2")
    assert hub_model("hf.co/org/m-GGUF:Q4_K_M") == HubModel("org/m-GGUF", "Q4_K_M")
    assert hub_model("/models/minilm") is None
    assert hub_model("org/bad--name") is None
    assert hub_model("no-namespace") is None
    found = preset("Multilingual-E5-Small")
    assert found is not None
    assert found.repo_id == "intfloat/multilingual-e5-small"
