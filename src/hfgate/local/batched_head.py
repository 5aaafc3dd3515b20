"""A transformers model with its task head, fed by dynamic batching: what a cross-encoder, a SPLADE model,
a text classifier and a token classifier share (``local/rerank``, ``local/sparse``, ``local/pipelines``).

The model runs in float32 on the CPU or a GPU (:class:`HeadModel`), and the outputs are computed from its
logits on the model's device: a sparse encoder's ``tokens x vocabulary`` logits never cross to the host.
The sequences of concurrent requests wait in one bounded queue and share length-sorted forward passes
(``hfgate.local.batching``), each pass one step on the compute thread; a subclass says how its model's
settings are read (:meth:`BatchedHead.read_config`) and what one pass's logits become for each of its
sequences (:meth:`BatchedHead.outputs`).

Given a ``cache_dir`` on the CPU, the head moves to ONNX Runtime (:class:`OnnxHeadModel`) once it is exported
(once per model, into ``cache_dir``, in a child process while torch serves the first requests; checked
against torch within 1e-3 by the export: ``local/embedding/onnx_export_worker.py``). Where the export fails,
torch goes on serving. Only heads whose outputs read plain logits opt in (the classifiers do).
"""

from __future__ import annotations

import inspect
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, Protocol, TypeVar

from hfgate.errors import BadRequestError
from hfgate.local.batching import Batcher, BatchLimits
from hfgate.local.cache import Compute
from hfgate.local.embedding.encoding import TextEncoding
from hfgate.local.embedding.tokens import TextTokenizer, TokenBatch
from hfgate.local.lazy_imports import import_torch_stack

if TYPE_CHECKING:
    import torch

log = logging.getLogger("hfgate.local")

R = TypeVar("R")

Head = Literal["AutoModelForSequenceClassification", "AutoModelForTokenClassification", "AutoModelForMaskedLM"]


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


class OnnxHeadModel:
    """The model at ``path`` with its ``head``, exported to ONNX once (under ``cache_dir``, checked against
    torch within 1e-3 by the export) and run by ONNX Runtime on the CPU: torch is not imported in the server.

    Args:
        path: the model directory.
        head: the transformers auto class whose logits are exported.
        cache_dir: where exports are kept (the data directory's ``models``).
        threads: ONNX Runtime's intra-op threads; 0: one per core.
    """

    def __init__(self, path: Path, *, head: Head, cache_dir: Path, threads: int = 0) -> None:
        from hfgate.local.embedding.onnx_export import exported_model
        from hfgate.local.embedding.onnx_session import open_session

        self._path = exported_model(path, cache_dir, head=head)
        self._session: Any = open_session(self._path, threads)
        self._inputs = [i.name for i in self._session.get_inputs()]

    @property
    def memory_bytes(self) -> int:
        return self._path.stat().st_size

    def logits(self, batch: TokenBatch) -> Any:
        """The head's logits for ``batch`` (a float32 numpy array)."""
        columns = batch.inputs()
        return self._session.run(None, {name: columns[name] for name in self._inputs})[0]

    def close(self) -> None:
        self._session = None


class HeadConfig(Protocol):
    """What a head model's settings say to every one: the tokens a sequence is cut to."""

    @property
    def max_length(self) -> int: ...


C = TypeVar("C", bound=HeadConfig)


class BatchedHead(Generic[R, C]):
    """The model at ``path`` with the subclass's ``head`` and settings (``config``), its tokenizer cutting
    at the settings' ``max_length``, and its batcher.

    Args:
        path: the model's directory.
        compute: the thread where forward passes run.
        limits: batch size and queue bounds.
        name: the model's name in messages (``service_settings.model``).
        threads: torch's compute threads; 0 keeps torch's default.
        device: ``cpu``, ``cuda`` or ``cuda:N`` (float32 on either).
        tokenizer_processes: worker processes that tokenize (``encoding.tokenizer_processes``); 0: none.
        cache_dir: where the head's ONNX export is kept; given on the CPU, the passes move to ONNX Runtime once
            it is exported. ``None``: torch runs the model.

    Raises:
        BadRequestError: the model's settings are not what hfgate can run (before its weights load).
    """

    head: ClassVar[Head]
    """The transformers auto class of the model's head."""
    pooled_tokenizer: ClassVar[bool] = True
    """Whether ``tokenizer_processes`` applies (``False``: the texts are tokenized where the request is read)."""

    def __init__(
        self,
        path: Path,
        *,
        compute: Compute,
        limits: BatchLimits | None = None,
        name: str,
        threads: int = 0,
        device: str = "cpu",
        tokenizer_processes: int = 0,
        cache_dir: Path | None = None,
    ) -> None:
        self.config: C = self.read_config(path, name=name)
        # torch; a subclass may move the passes to an OnnxHeadModel (text classification does, once exported)
        self._model: HeadModel | OnnxHeadModel | None = HeadModel(path, head=self.head, threads=threads, device=device)
        self._tokenizer = TextTokenizer(path, max_length=self.config.max_length)
        processes = tokenizer_processes if self.pooled_tokenizer else 0
        self._encoding = TextEncoding(self._tokenizer, processes=processes)
        self.device = device
        self._compute = compute
        self.name = name
        self._batcher: Batcher[Any, R] = Batcher(run_batch=self._run_batch, limits=limits or BatchLimits(), name=name)
        self.forward_passes = 0
        """Forward passes run since loading (instrumentation: batching shows as fewer passes)."""
        self.loaded(path)
        self.switched = threading.Event()
        """Set once the passes run on ONNX Runtime, or the switch was given up or not asked for (:attr:`engine`)."""
        if cache_dir is not None and device.startswith("cpu"):
            worker = threading.Thread(target=self._switch, args=(path, cache_dir, threads), name=f"onnx-{name}")
            worker.daemon = True
            worker.start()
        else:
            self.switched.set()

    @property
    def engine(self) -> str:
        """``onnx`` or ``torch``: what the passes run on."""
        return "onnx" if isinstance(self._model, OnnxHeadModel) else "torch"

    def _switch(self, path: Path, cache_dir: Path, threads: int) -> None:
        """Export the head to ONNX (a child process, minutes at most) while torch serves, then run the passes
        on it; on failure torch goes on serving, and the cause is logged."""
        try:
            onnx = OnnxHeadModel(path, head=self.head, cache_dir=cache_dir, threads=threads)
        except Exception as exc:  # an architecture the exporter cannot trace: torch serves it, exactly
            log.warning(f"[{self.name}] stays on torch: its ONNX export failed ({exc})")
        else:
            torch_model, self._model = self._model, onnx  # the next pass reads the new one
            if torch_model is None:  # closed meanwhile
                self._model = None
                onnx.close()
            else:
                torch_model.close()
        finally:
            self.switched.set()

    @property
    def memory_bytes(self) -> int:
        return self._model.memory_bytes if self._model else 0

    def close(self) -> None:
        self._batcher.close(f"The local model [{self.name}] was unloaded to free memory; retry")
        self._encoding.close()
        if self._model is not None:
            self._model.close()
            self._model = None

    def loaded(self, path: Path) -> None:
        """What a subclass keeps of the model at ``path`` besides the head and its tokenizer (called once, from
        the constructor, before the switch to ONNX Runtime starts); nothing by default."""

    def read_config(self, path: Path, *, name: str) -> C:
        """The model's settings, read from its files."""
        raise NotImplementedError

    def outputs(self, logits: Any, batch: TokenBatch) -> list[R]:
        """What one pass's ``logits`` give for each sequence of ``batch``, in order."""
        raise NotImplementedError

    async def _run_batch(self, encodings: list[Any]) -> list[R]:
        self.forward_passes += 1
        return await self._compute.run(self._forward, encodings)

    def _forward(self, encodings: list[Any]) -> list[R]:
        if self._model is None:
            raise BadRequestError(f"The local model [{self.name}] was unloaded; retry")
        batch = TokenBatch.pad(encodings)
        return self.outputs(self._model.logits(batch), batch)
