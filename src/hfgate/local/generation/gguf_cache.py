"""GGUF weights converted once to safetensors and kept on disk, so later loads take a second.

transformers reads GGUF by dequantizing every tensor in Python, which is slow even for a small model.
The first load writes the dequantized model, its tokenizer and chat template to a directory under
``<data_dir>/models``, named after the GGUF file's name, size and modification time; a changed file gets
a new directory. The directory appears atomically (written aside, then renamed), so a crash mid-way
leaves no half-written model behind. ``hfgate prepare`` converts the models that packages carry once at
install time (``make``, the container's build) into :data:`PREPARED`, inside the installation; every data
directory then finds the copy there and a first chat on a fresh one waits only for the load.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hfgate.local.catalog import ModelLocation
from hfgate.local.generation.architecture import auto_model_class, detect_task
from hfgate.local.one_maker import made_once
from hfgate.local.prepared import PREPARED

log = logging.getLogger("hfgate.local")
# Bumped when the converted layout changes, so older copies are converted again. Tied embeddings are
# saved under the input embedding's name: vLLM reads a lone ``lm_head.weight`` as an untied head.
LAYOUT = 2


def converted_path(location: ModelLocation, *, models_dir: Path) -> Path:
    """Where the converted copy of ``location``'s GGUF file lives (or will live)."""
    assert location.gguf_file is not None
    gguf = location.path / location.gguf_file
    stat = gguf.stat()
    return models_dir / f"{gguf.stem}-{stat.st_size}-{stat.st_mtime_ns}-{LAYOUT}"


def ensure_converted(location: ModelLocation, *, models_dir: Path) -> Path:
    """A transformers model directory for ``location``: the model itself, or its converted GGUF.

    Example:
        >>> # path = ensure_converted(resolve_model("SmolLM2-135M-Instruct"), models_dir=data / "models")
    """
    if location.gguf_file is None:
        return location.path
    prepared = converted_path(location, models_dir=PREPARED)
    if prepared.is_dir():
        return prepared
    target = converted_path(location, models_dir=models_dir)
    return made_once(target, lambda: _convert(location, target))


def prepare(location: ModelLocation, *, into: Path = PREPARED) -> tuple[Path, bool]:
    """Convert ``location``'s GGUF weights into ``into`` (``hfgate prepare``); the copy's directory and
    whether it was made now (``False``: it was there already)."""
    assert location.gguf_file is not None
    target = converted_path(location, models_dir=into)
    if target.is_dir():
        return target, False
    _convert(location, target)
    return target, True


def _convert(location: ModelLocation, target: Path) -> None:
    import transformers
    from safetensors.torch import save_file

    assert location.gguf_file is not None
    log.info(
        "converting GGUF weights (once; later loads read the converted copy)",
        extra={"event": "model.gguf.convert", "model": location.model_id, "target": str(target)},
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    source = {"pretrained_model_name_or_path": location.path, "gguf_file": location.gguf_file, "local_files_only": True}
    tokenizer = transformers.AutoTokenizer.from_pretrained(**source)
    model = auto_model_class(detect_task(location)).from_pretrained(**source)
    # The config still says "gguf-quantized"; the saved weights are plain floats.
    model.config.quantization_config = None
    del model.config.quantization_config
    model.config.architectures = [type(model).__name__]  # as save_pretrained writes it; ONNX's builder reads it
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".converting-") as scratch:
        work = Path(scratch) / "model"
        work.mkdir()
        save_file(_weights(model), str(work / "model.safetensors"), metadata={"format": "pt"})
        model.config.save_pretrained(work)
        model.generation_config.save_pretrained(work)
        tokenizer.save_pretrained(work)
        try:
            work.rename(target)
        except OSError:  # another process converted it meanwhile
            shutil.rmtree(work, ignore_errors=True)


def _weights(model: Any) -> dict[str, Any]:
    """The model's tensors, each once: a tied output head is left out (the input embedding holds it, and
    ``tie_word_embeddings`` tells every loader to tie it back)."""
    state = {name: tensor.contiguous() for name, tensor in model.state_dict().items()}
    if getattr(model.config, "tie_word_embeddings", False):
        output = model.get_output_embeddings()
        for name, tensor in list(state.items()):
            if output is not None and tensor.data_ptr() == output.weight.data_ptr() and name.startswith("lm_head"):
                del state[name]
    return state
