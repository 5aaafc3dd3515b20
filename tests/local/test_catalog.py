"""Finding model files: packaged models by id or alias, directories, and clear errors."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from hfgate.errors import BadRequestError
from hfgate.local.catalog import PackagedModel, _locate_packaged, resolve_model


@pytest.mark.parametrize("name", ["sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2", "ALL-MINILM-L6-V2"])
def test_packaged_embedding_model_is_found_by_id_or_alias(name: str) -> None:
    location = resolve_model(name)
    assert location.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert (location.path / "config.json").is_file()
    assert location.gguf_file is None


def test_packaged_gguf_model_names_its_file() -> None:
    location = resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct")
    assert location.gguf_file == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert (location.path / location.gguf_file).is_file()


def test_a_directory_with_one_gguf_file_is_taken_as_gguf(tmp_path: Path) -> None:
    (tmp_path / "model.gguf").write_bytes(b"GGUF")
    assert resolve_model(str(tmp_path)).gguf_file == "model.gguf"


def test_unknown_name_names_the_setting_and_the_known_ids() -> None:
    with pytest.raises(BadRequestError) as caught:
        resolve_model("/nowhere/model")
    assert "[service_settings.model] [/nowhere/model] is neither a model directory" in caught.value.reason
    assert "sentence-transformers/all-MiniLM-L6-v2" in caught.value.reason


def test_missing_gguf_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(BadRequestError, match=r"\[service_settings.gguf_file\] \[x.gguf\] is not a file"):
        resolve_model(str(tmp_path), gguf_file="x.gguf")


def test_a_directory_that_holds_no_model_is_refused_naming_the_setting(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no model here")
    with pytest.raises(BadRequestError) as caught:
        resolve_model(str(tmp_path))
    assert caught.value.param == "service_settings.model"
    assert "is a directory but holds no model: it has no config.json" in caught.value.reason


def test_a_packaged_models_missing_distribution_is_refused_until_it_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The packaged models' directories are looked up once per process; a failed look-up is not kept."""
    model = PackagedModel(model_id="test/tiny", distribution="hfgate-test-tiny", directory="hfgate_test_tiny")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(BadRequestError, match=r"\[hfgate-test-tiny\], which is not installed"):
        _locate_packaged(model)
    info = tmp_path / "hfgate_test_tiny-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hfgate-test-tiny\nVersion: 1.0\n")
    importlib.invalidate_caches()
    assert _locate_packaged(model).path == tmp_path / "hfgate_test_tiny"
    assert _locate_packaged(model) == _locate_packaged(model)
