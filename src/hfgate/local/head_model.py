"""A transformers model with a task head (sequence classification, masked LM) run in float32 on the CPU or
a GPU, fed our padded token batches; the rerankers and sparse encoders compute their outputs from its
logits (on the model's device: a sparse encoder's ``tokens x vocabulary`` logits never cross to the host)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from hfgate.local.lazy_imports import import_torch_stack

if TYPE_CHECKING:
    import torch

    from hfgate.local.embedding.tokens import TokenBatch

Head = Literal["AutoModelForSequenceClassification", "AutoModelForMaskedLM"]


class HeadModel:
    """The model at ``path`` with its ``head``, in evaluation mode.

    Args:
        path: the model directory (transformers' ``config.json`` and weights).
        head: the transformers auto class that loads it.
        threads: torch's compute threads; 0 keeps torch's default (all cores).
        device: ``cpu``, ``cuda`` or ``cuda:N``.

    Example:
        >>> model = HeadModel(model_dir, head="AutoModelForSequenceClassification")
        >>> # logits = model.logits(TokenBatch.pad(encodings))
    """

    def __init__(self, path: Path, *, head: Head, threads: int = 0, device: str = "cpu") -> None:
        torch, transformers = import_torch_stack("transformers")
        if threads:
            torch.set_num_threads(threads)
        self._torch = torch
        self._device = torch.device(device)
        self._model: Any = getattr(transformers, head).from_pretrained(
            str(path), local_files_only=True, dtype=torch.float32
        )
        self._model.to(self._device).eval()
        # DistilBERT and ModernBERT take no token types; BERT and XLM-R do (a pair's second text is type 1).
        self._types = "token_type_ids" in inspect.signature(self._model.forward).parameters

    @property
    def memory_bytes(self) -> int:
        """Host memory the weights take (none on a GPU: the GPU memory rule counts them there)."""
        if self._model is None or self._device.type != "cpu":
            return 0
        return sum(p.numel() * p.element_size() for p in self._model.parameters())

    def logits(self, batch: TokenBatch) -> torch.Tensor:
        """The head's logits for ``batch`` (float32, on the model's device): ``[rows, labels]`` or
        ``[rows, tokens, vocabulary]``."""
        inputs = {name: self._torch.from_numpy(a).to(self._device) for name, a in batch.inputs().items()}
        if not self._types:
            inputs.pop("token_type_ids")
        with self._torch.inference_mode():
            logits: torch.Tensor = self._model(**inputs).logits
        return logits.float()

    def close(self) -> None:
        self._model = None
