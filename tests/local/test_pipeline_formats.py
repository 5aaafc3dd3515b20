"""A sentence-transformers directory's pipeline in the format each release writes.

Up to 5, ``modules.json`` names the stages ``sentence_transformers.models.<Class>`` and Pooling's config has
one boolean per mode; 6 names the module each class lives in and writes ``pooling_mode`` (a name or a list).
Read either way, a Transformer, Pooling and Normalize model is one the ONNX and CUDA engines reproduce.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hfgate.errors import BadRequestError
from hfgate.local.embedding.pipeline import read_pipeline

ST5 = {stage: f"sentence_transformers.models.{stage}" for stage in ("Transformer", "Pooling", "Normalize")}
# what sentence-transformers 6.2.0's SentenceTransformer.save writes (the slow test below checks it)
ST6 = {
    "Transformer": "sentence_transformers.base.modules.transformer.Transformer",
    "Pooling": "sentence_transformers.sentence_transformer.modules.pooling.Pooling",
    "Normalize": "sentence_transformers.base.modules.normalize.Normalize",
}


def model_dir(folder: Path, types: dict[str, str], pooling: dict[str, Any]) -> Path:
    paths = {"Transformer": "", "Pooling": "1_Pooling", "Normalize": "2_Normalize", "Dense": "3_Dense"}
    modules = [
        {"idx": i, "name": str(i), "path": paths[stage], "type": t} for i, (stage, t) in enumerate(types.items())
    ]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"embedding_dimension": 384, **pooling}))
    return folder


@pytest.mark.parametrize(
    ("types", "pooling"),
    [(ST5, {"pooling_mode_mean_tokens": True}), (ST6, {"pooling_mode": "mean", "include_prompt": True})],
    ids=["sentence-transformers 5", "sentence-transformers 6"],
)
def test_both_formats_read_as_the_same_reproducible_pipeline(
    tmp_path: Path, types: dict[str, str], pooling: dict[str, Any]
) -> None:
    pipeline = read_pipeline(model_dir(tmp_path, types, pooling), fallback_max_length=256)
    assert (pipeline.pooling, pipeline.normalize, pipeline.unsupported) == (("mean",), True, ())


def test_the_modes_of_6_are_concatenated_in_the_order_listed(tmp_path: Path) -> None:
    folder = model_dir(tmp_path, ST6, {"pooling_mode": ["mean_sqrt_len_tokens", "cls", "max"]})
    assert read_pipeline(folder, fallback_max_length=256).pooling == ("mean_sqrt_len", "cls", "max")


def test_the_booleans_of_5_concatenate_in_pooling_forwards_order(tmp_path: Path) -> None:
    config = {"pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True, "pooling_mode_cls_token": True}
    assert read_pipeline(model_dir(tmp_path, ST5, config), fallback_max_length=256).pooling == ("cls", "max", "mean")


@pytest.mark.parametrize(
    ("types", "pooling", "named"),
    [
        (ST6, {"pooling_mode": "weightedmean"}, "weightedmean"),
        (ST6, {"pooling_mode": ["mean", "weightedmean"]}, "weightedmean"),
        (ST6, {"pooling_mode": [7]}, "7"),
        (ST5, {"pooling_mode_weightedmean_tokens": True}, "pooling_mode_weightedmean_tokens"),
    ],
)
def test_a_mode_we_cannot_compute_is_refused_naming_it(
    tmp_path: Path, types: dict[str, str], pooling: dict[str, Any], named: str
) -> None:
    with pytest.raises(BadRequestError, match=f"Pooling \\[{named}\\] in .* is not supported"):
        read_pipeline(model_dir(tmp_path, types, pooling), fallback_max_length=256)


def test_a_stage_of_either_release_beyond_the_three_runs_the_model_whole(tmp_path: Path) -> None:
    dense = "sentence_transformers.base.modules.dense.Dense"
    folder = model_dir(tmp_path, {**ST6, "Dense": dense}, {"pooling_mode": "mean"})
    assert read_pipeline(folder, fallback_max_length=256).unsupported == (dense,)


@pytest.mark.slow
def test_a_model_saved_by_the_installed_sentence_transformers_reads_as_the_packaged_one(tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer

    from hfgate.local.embedding.cuda_engine import _pooling_class
    from tests.support.hub_models import minilm_files

    model = SentenceTransformer(str(minilm_files()), device="cpu")
    model.save(str(tmp_path / "saved"))
    written = [m["type"] for m in json.loads((tmp_path / "saved" / "modules.json").read_text())]
    assert written == list(ST6.values()), "the format this release writes, which the fast tests above stand for"
    saved = read_pipeline(tmp_path / "saved", fallback_max_length=256)
    packaged = read_pipeline(minilm_files(), fallback_max_length=256)
    assert (saved.pooling, saved.normalize, saved.unsupported) == (packaged.pooling, packaged.normalize, ())
    # the CUDA engine finds the Pooling module it pools with, without sentence_transformers.models imported
    assert sum(isinstance(m, _pooling_class()) for m in SentenceTransformer(str(tmp_path / "saved"))) == 1
