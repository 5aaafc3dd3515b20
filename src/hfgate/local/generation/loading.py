"""Loading a generation model and its tokenizer, for the transformers, ONNX Runtime or llama.cpp engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hfgate.errors import BadRequestError
from hfgate.local.catalog import ModelLocation
from hfgate.local.generation.architecture import GenerationTask, auto_model_class, detect_task
from hfgate.local.generation.batch import DecodeBatch
from hfgate.local.generation.onnx_export import PRECISIONS
from hfgate.local.lazy_imports import import_torch_stack

DTYPES = ("float32", "bfloat16", "float16")


@dataclass(slots=True, kw_only=True)
class LanguageModel:
    """A loaded model with what decoding needs to know about it.

    ``make_batch`` builds the engine's decode batch; ``model`` is the engine's own model object;
    ``device`` where it computes (``cpu``, ``cuda``, ``cuda:N``); ``memory_bytes`` the host memory it
    holds (a model on a GPU holds none to speak of: the GPU memory rule counts it instead).
    """

    model: Any
    tokenizer: Any
    task: GenerationTask
    eos_ids: frozenset[int]
    max_positions: int | None
    memory_bytes: int
    make_batch: Callable[[], DecodeBatch]
    device: str = "cpu"


def load_language_model(
    path: Path, *, task: GenerationTask, dtype: str, threads: int = 0, device: str = "cpu"
) -> LanguageModel:
    """Load the transformers model in ``path`` for ``task``, its weights cast to ``dtype`` (:data:`DTYPES`)
    and placed on ``device`` (``cpu``, ``cuda`` or ``cuda:N``), where its decode batches compute too.

    Example:
        >>> # lm = load_language_model(Path("/models/t5-small"), task="text2text-generation", dtype="float32")
        >>> # lm = load_language_model(Path("/models/smollm2"), task="text-generation", dtype="bfloat16", device="cuda")
    """
    torch, transformers = import_torch_stack("transformers")
    from hfgate.local.generation.causal_batch import CausalBatch
    from hfgate.local.generation.seq2seq_batch import Seq2SeqBatch

    if threads:
        torch.set_num_threads(threads)
    tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = auto_model_class(task).from_pretrained(path, dtype=getattr(torch, dtype), local_files_only=True)
    model = model.to(device).eval()
    batch_class = Seq2SeqBatch if task == "text2text-generation" else CausalBatch
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    return LanguageModel(
        model=model,
        tokenizer=tokenizer,
        task=task,
        eos_ids=_eos_ids(model.generation_config.eos_token_id, tokenizer),
        max_positions=getattr(model.config, "max_position_embeddings", None),
        memory_bytes=0 if device.startswith("cuda") else weights,
        make_batch=lambda: batch_class(model, device=device),
        device=device,
    )


def load_llama_cpp_model(gguf: Path | None, *, tokenizer_path: Path, max_rows: int, threads: int = 0) -> LanguageModel:
    """Load a GGUF decoder-only model with llama.cpp; the tokenizer comes from ``tokenizer_path``.

    Raises:
        BadRequestError: the model is not GGUF, or llama-cpp-python is not installed.
    """
    if gguf is None:
        raise BadRequestError(
            "The [llama.cpp] engine runs GGUF models only; give [service_settings.gguf_file] or use the "
            "[transformers] engine",
            param="service_settings.engine",
        )
    _, transformers = import_torch_stack("transformers")
    from hfgate.local.generation.llama_cpp_batch import LlamaCppBatch, LlamaCppModel

    tokenizer = transformers.AutoTokenizer.from_pretrained(tokenizer_path, local_files_only=True)
    config = transformers.AutoConfig.from_pretrained(tokenizer_path, local_files_only=True)
    context = int(getattr(config, "max_position_embeddings", 4096))
    model = LlamaCppModel(gguf, max_rows=max_rows, context=context, threads=threads)
    return LanguageModel(
        model=model,
        tokenizer=tokenizer,
        task="text-generation",
        eos_ids=_eos_ids(config.eos_token_id, tokenizer),
        max_positions=context,
        memory_bytes=model.memory_bytes,
        make_batch=lambda: LlamaCppBatch(model),
    )


def load_onnx_model(path: Path, *, precision: str, cache_dir: Path, threads: int = 0) -> LanguageModel:
    """Export the decoder-only transformers model in ``path`` to ONNX at ``precision`` (once, cached under
    ``cache_dir``) and load it in ONNX Runtime.

    Raises:
        BadRequestError: onnxruntime-genai (the exporter) or onnxruntime is not installed.
        HfGateError: the export failed.
    """
    _, transformers = import_torch_stack("transformers")
    from hfgate.local.generation.onnx_batch import OnnxBatch, OnnxDecoder
    from hfgate.local.generation.onnx_export import exported_decoder

    tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    config = transformers.AutoConfig.from_pretrained(path, local_files_only=True)
    decoder = OnnxDecoder(exported_decoder(path, cache_dir, precision=precision), threads=threads)
    return LanguageModel(
        model=decoder,
        tokenizer=tokenizer,
        task="text-generation",
        eos_ids=_eos_ids(config.eos_token_id, tokenizer),
        max_positions=getattr(config, "max_position_embeddings", None),
        memory_bytes=decoder.memory_bytes,
        make_batch=lambda: OnnxBatch(decoder),
    )


def _eos_ids(configured: int | list[int] | None, tokenizer: Any) -> frozenset[int]:
    """End-of-sequence tokens: the model's configured ones (one or a list) and the tokenizer's."""
    ids = set(configured if isinstance(configured, list) else [configured])
    ids.add(tokenizer.eos_token_id)
    return frozenset(int(i) for i in ids if i is not None)


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelSource:
    """Where a model's files are and how to load them: the original (GGUF or not) and the converted copy;
    ``device`` is where the transformers engine places it (the ONNX and llama.cpp engines run on the CPU
    whatever it says)."""

    location: ModelLocation
    converted: Path
    dtype: str
    device: str = "cpu"
    threads: int = 0
    max_rows: int = 16
    cache_dir: Path | None = None

    @property
    def gguf(self) -> Path | None:
        return self.location.path / self.location.gguf_file if self.location.gguf_file else None


def _onnx_loader(precision: str) -> Callable[[ModelSource], LanguageModel]:
    def load(source: ModelSource) -> LanguageModel:
        if detect_task(source.location) != "text-generation":
            raise BadRequestError(
                "The [onnx] generation engines run decoder-only models; use the [transformers] engine for "
                "encoder-decoder models",
                param="service_settings.engine",
            )
        cache_dir = source.cache_dir or source.converted.parent
        return load_onnx_model(source.converted, precision=precision, cache_dir=cache_dir, threads=source.threads)

    return load


ENGINE_LOADERS: dict[str, Callable[[ModelSource], LanguageModel]] = {
    "transformers": lambda s: load_language_model(
        s.converted, task=detect_task(s.location), dtype=s.dtype, threads=s.threads, device=s.device
    ),
    "llama.cpp": lambda s: load_llama_cpp_model(
        s.gguf, tokenizer_path=s.converted, max_rows=s.max_rows, threads=s.threads
    ),
    **{engine: _onnx_loader(precision) for engine, precision in PRECISIONS.items()},
}
