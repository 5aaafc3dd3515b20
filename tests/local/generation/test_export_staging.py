"""The decoder export's staging directory: the config the ONNX builder reads names the model's architecture,
and the export child imports transformers only to fill one in (its import is seconds of a short life)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hfgate.local.generation.onnx_export_worker import _stage


def _model_dir(path: Path, config: dict[str, object]) -> Path:
    path.mkdir()
    (path / "config.json").write_text(json.dumps(config))
    (path / "model.safetensors").write_bytes(b"weights")
    return path


def test_a_config_naming_its_architecture_is_staged_as_it_is_without_importing_transformers(tmp_path: Path) -> None:
    config = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 64}
    model, staging = _model_dir(tmp_path / "model", config), tmp_path / "staging"
    script = (
        "import sys; from pathlib import Path; "
        "from hfgate.local.generation.onnx_export_worker import _stage; "
        f"_stage(Path({str(model)!r}), Path({str(staging)!r})); "
        "print('transformers' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False", done.stderr
    assert json.loads((staging / "config.json").read_text()) == config
    assert (staging / "model.safetensors").resolve() == (model / "model.safetensors").resolve()


def test_a_config_without_architectures_gets_the_causal_lm_of_its_model_type(tmp_path: Path) -> None:
    config = {"model_type": "llama", "hidden_size": 64, "num_attention_heads": 2, "num_hidden_layers": 1}
    model, staging = _model_dir(tmp_path / "model", config), tmp_path / "staging"
    _stage(model, staging)
    staged = json.loads((staging / "config.json").read_text())
    assert staged == {**config, "architectures": ["LlamaForCausalLM"]}
