"""The ONNX export itself, run as a child process: ``python -m hfgate.local.embedding.onnx_export_worker DIR OUT
[HEAD]`` (``HEAD``: a transformers auto class whose logits are exported; the plain model's last hidden state
by default).

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


def export(model_dir: Path, target: Path, head: str = "AutoModel") -> None:
    """Write ``model_dir``'s transformer as ONNX to ``target`` (inputs by name; out: the last hidden state,
    or with ``head`` other than ``AutoModel`` the head's ``logits``).

    Raises:
        ValueError: the exported graph does not reproduce the torch model.
    """
    torch, transformers = import_torch_stack("transformers")
    model = (
        getattr(transformers, head)
        .from_pretrained(str(model_dir), attn_implementation="eager", local_files_only=True)
        .eval()
    )
    names = [n for n in _INPUTS if n in inspect.signature(model.forward).parameters]
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=target.parent)
    os.close(fd)
    probe = _sample(torch, names, rows=3, width=13)
    with torch.no_grad():
        # Before the export: tracing leaves the torch model computing differently afterwards.
        expected = _output(model(**dict(zip(names, probe, strict=True)))).numpy()
    try:
        output = "last_hidden_state" if head == "AutoModel" else "logits"
        _trace(torch, model, names=names, output=(output, expected.ndim), path=Path(tmp))
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


def _trace(torch: Any, model: Any, *, names: list[str], output: tuple[str, int], path: Path) -> None:
    """Trace ``model`` into ``path``; ``output``: the output's name and dimensions (its second is the
    sequence's when it has three: a hidden state or a token classifier's logits)."""
    name, dimensions = output
    axes = {each: {0: "batch", 1: "sequence"} for each in names}
    axes[name] = {0: "batch", 1: "sequence"} if dimensions == 3 else {0: "batch"}
    with warnings.catch_warnings(), torch.no_grad():
        # The TorchScript exporter is deprecated and tracing warns about Python-side checks; the
        # result is verified numerically below instead.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _LastHidden.build(torch, model, names=names),
            _sample(torch, names, rows=2, width=8),
            str(path),
            input_names=names,
            output_names=[name],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def _verify(names: list[str], probe: tuple[Any, ...], *, expected: Any, path: Path) -> None:
    session = import_onnxruntime().InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {n: t.numpy() for n, t in zip(names, probe, strict=True)})[0]
    mask = probe[names.index("attention_mask")].numpy().astype(bool)
    error = float(abs(got - expected)[mask].max() if got.ndim == 3 else abs(got - expected).max())
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
                return _output(self.model(**dict(zip(names, tensors, strict=True))))

        return Wrapper()


def _output(outputs: Any) -> Any:
    """The last hidden state of a plain model; the logits of a model with a head."""
    logits = getattr(outputs, "logits", None)
    return outputs.last_hidden_state if logits is None else logits


if __name__ == "__main__":
    export(Path(sys.argv[1]), Path(sys.argv[2]), *sys.argv[3:4])
