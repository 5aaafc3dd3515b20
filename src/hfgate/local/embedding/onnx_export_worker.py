"""The ONNX export itself, run as a child process: ``python -m hfgate.local.embedding.onnx_export_worker DIR OUT``.

The export is checked against torch on a batch shaped unlike the tracing one before it is kept, so a
shape frozen by tracing cannot slip through; the file appears at ``OUT`` atomically, or not at all.
"""

from __future__ import annotations

import inspect
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from hfgate.local.embedding.onnx_export import import_onnxruntime
from hfgate.local.lazy_imports import import_torch_stack

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_TOLERANCE = 1e-3


def export(model_dir: Path, target: Path) -> None:
    """Write ``model_dir``'s transformer as ONNX to ``target`` (inputs by name, last hidden state out).

    Raises:
        ValueError: the exported graph does not reproduce the torch model.
    """
    torch, transformers = import_torch_stack("transformers")
    model = transformers.AutoModel.from_pretrained(
        str(model_dir), attn_implementation="eager", local_files_only=True
    ).eval()
    names = [n for n in _INPUTS if n in inspect.signature(model.forward).parameters]
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=target.parent)
    os.close(fd)
    probe = _sample(torch, names, rows=3, width=13)
    with torch.no_grad():
        # Before the export: tracing leaves the torch model computing differently afterwards.
        expected = model(**dict(zip(names, probe, strict=True))).last_hidden_state.numpy()
    try:
        _trace(torch, model, names=names, path=Path(tmp))
        _verify(names, probe, expected=expected, path=Path(tmp))
        os.replace(tmp, target)  # atomic: a concurrent loader sees the old state or the whole file
    finally:
        Path(tmp).unlink(missing_ok=True)


def _sample(torch: Any, names: list[str], *, rows: int, width: int) -> tuple[Any, ...]:
    ids = torch.randint(1000, 2000, (rows, width), dtype=torch.int64)
    mask = torch.ones((rows, width), dtype=torch.int64)
    mask[0, width // 2 :] = 0  # one padded row, so tracing keeps the attention-mask path
    columns = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
    return tuple(columns[n] for n in names)


def _trace(torch: Any, model: Any, *, names: list[str], path: Path) -> None:
    axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "last_hidden_state"]}
    with warnings.catch_warnings(), torch.no_grad():
        # The TorchScript exporter is deprecated and tracing warns about Python-side checks; the
        # result is verified numerically below instead.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _LastHidden.build(torch, model, names=names),
            _sample(torch, names, rows=2, width=8),
            str(path),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def _verify(names: list[str], probe: tuple[Any, ...], *, expected: Any, path: Path) -> None:
    session = import_onnxruntime().InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {n: t.numpy() for n, t in zip(names, probe, strict=True)})[0]
    mask = probe[names.index("attention_mask")].numpy().astype(bool)
    error = float(abs(got - expected)[mask].max())
    if error > _TOLERANCE:
        raise ValueError(f"the ONNX model differs from torch by [{error:.2g}]")


class _LastHidden:
    """Wraps the model so that the export takes positional inputs and returns the last hidden state."""

    @staticmethod
    def build(torch: Any, model: Any, *, names: list[str]) -> Any:
        class Wrapper(torch.nn.Module):  # type: ignore[misc]
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, *tensors: Any) -> Any:
                return self.model(**dict(zip(names, tensors, strict=True))).last_hidden_state

        return Wrapper()


if __name__ == "__main__":
    export(Path(sys.argv[1]), Path(sys.argv[2]))
