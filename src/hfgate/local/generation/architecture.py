"""Which generation task a model directory serves, read from its config without loading weights."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from hfgate.errors import BadRequestError
from hfgate.local.catalog import ModelLocation

GenerationTask = Literal["text-generation", "text2text-generation"]
GENERATION_TASKS: tuple[GenerationTask, ...] = ("text-generation", "text2text-generation")

# GGUF architectures that are encoder-decoders; every other GGUF language model is decoder-only.
_GGUF_SEQ2SEQ = frozenset({"t5", "t5encoder"})


def detect_task(location: ModelLocation) -> GenerationTask:
    """``text2text-generation`` for encoder-decoder models, else ``text-generation``.

    Raises:
        BadRequestError: the directory holds neither ``config.json`` nor a GGUF file.
    """
    if location.gguf_file is not None:
        return "text2text-generation" if _gguf_architecture(location) in _GGUF_SEQ2SEQ else "text-generation"
    config = location.path / "config.json"
    if not config.is_file():
        raise BadRequestError(
            f"[{location.path}] holds no transformers model (no config.json and no GGUF file)",
            param="service_settings.model",
        )
    encoder_decoder = json.loads(config.read_text()).get("is_encoder_decoder", False)
    return "text2text-generation" if encoder_decoder else "text-generation"


def auto_model_class(task: GenerationTask) -> Any:
    """The transformers auto class that loads models for ``task``."""
    import transformers

    if task == "text2text-generation":
        return transformers.AutoModelForSeq2SeqLM
    return transformers.AutoModelForCausalLM


def _gguf_architecture(location: ModelLocation) -> str:
    import gguf

    reader = gguf.GGUFReader(Path(location.path) / str(location.gguf_file))
    return str(reader.fields["general.architecture"].contents())
