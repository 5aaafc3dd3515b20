"""What every in-process runner of a Hub task shares: its model loaded once, where it computes, the compute
thread its passes run on, and the batcher that packs concurrent requests' inputs into shared passes.

A runner built on transformers' own pipeline (:class:`TransformersRunner`) gives exactly what that pipeline
gives on the same weights: the tests compare the two. Its batches group the inputs of requests asking
the same parameters, and run as one pipeline call over all of them.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Mapping, Sequence
from itertools import groupby
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from hfgate.errors import BadRequestError
from hfgate.local.batching import Batcher, BatchLimits
from hfgate.local.cache import Compute
from hfgate.local.lazy_imports import import_torch_stack
from hfgate.pipelines import PipelineAnswer, PipelineRequest

log = logging.getLogger("hfgate.local")

Q = TypeVar("Q", bound=PipelineRequest)

Key = tuple[tuple[str, Hashable], ...]
Item = tuple[Any, Key]
"""One input of a batched pass and the parameters it runs with (a hashable key of them)."""


class Runner(Protocol):
    """What the ``local`` service asks of a Hub task's runner: a request's answer, and what the model cache
    asks of every loaded model (its size, and ``close``)."""

    @property
    def memory_bytes(self) -> int: ...

    def close(self) -> None: ...

    async def run(self, request: Any) -> PipelineAnswer: ...


class PipelineRunner(Generic[Q]):
    """A Hub task's model, loaded in-process, answering that task's requests.

    Args:
        path: the model's directory.
        compute: the thread where its passes run.
        limits: batch size and queue bounds.
        name: the model's name in messages (``service_settings.model``).
        threads: torch's compute threads; 0 keeps torch's default.
        device: ``cpu``, ``cuda`` or ``cuda:N``.
        tokenizer_processes: taken as every batched model is; the pipelines tokenize on the compute thread.
        cache_dir: where files derived from the model are kept (the data directory's ``models``).
    """

    def __init__(
        self,
        path: Path,
        *,
        compute: Compute,
        limits: BatchLimits,
        name: str,
        threads: int = 0,
        device: str = "cpu",
        tokenizer_processes: int = 0,  # the pipelines tokenize on the compute thread
        cache_dir: Path | None = None,  # what a runner derives from the model is kept there (an ONNX export)
    ) -> None:
        self.path, self.name, self.device = path, name, device
        self._compute = compute
        torch, _ = import_torch_stack("transformers")
        if threads:
            torch.set_num_threads(threads)
        self._model: Any = None
        self._batcher: Batcher[Item, Any] = Batcher(run_batch=self._run_batch, limits=limits, name=name)

    @property
    def memory_bytes(self) -> int:
        """Host memory the weights take (none on a GPU: the GPU memory rule counts them there)."""
        if self._model is None or not self.device.startswith("cpu"):
            return 0
        return sum(p.numel() * p.element_size() for p in self._model.parameters())

    def close(self) -> None:
        self._batcher.close(f"The local model [{self.name}] was unloaded to free memory; retry")
        self._model = None

    async def run(self, request: Q) -> PipelineAnswer:
        """``request``'s answer."""
        raise NotImplementedError

    def load_head(self, head: str) -> Any:
        """The model with its ``head`` (a transformers auto class), float32 on the runner's device, in evaluation
        mode, kept as the runner's model; its tokenizer kept as ``tokenizer``."""
        torch, transformers = import_torch_stack("transformers")
        self.tokenizer: Any = transformers.AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)
        model = getattr(transformers, head).from_pretrained(str(self.path), local_files_only=True, dtype=torch.float32)
        self._model = model.to(torch.device(self.device)).eval()
        return self._model

    async def batched(self, inputs: Sequence[Any], parameters: Mapping[str, Any]) -> list[Any]:
        """Each input's output, computed in passes shared with other requests asking the same parameters."""
        key = tuple(sorted((k, _hashable(v)) for k, v in parameters.items()))
        lengths = [len(str(each)) for each in inputs]
        return await self._batcher.submit([(each, key) for each in inputs], lengths=lengths)

    async def _run_batch(self, items: list[Item]) -> list[Any]:
        results: dict[int, Any] = {}
        order = sorted(range(len(items)), key=lambda i: repr(items[i][1]))
        for _key, group in groupby(order, key=lambda i: repr(items[i][1])):
            indices = list(group)
            parameters = dict(items[indices[0]][1])
            inputs = [items[i][0] for i in indices]
            outputs = await self._compute.run(self.compute_batch, inputs, parameters)
            results.update(zip(indices, outputs, strict=True))
        return [results[i] for i in range(len(items))]

    def compute_batch(self, inputs: list[Any], parameters: dict[str, Any]) -> list[Any]:
        """One pass over ``inputs`` (on the compute thread)."""
        raise NotImplementedError


def _hashable(value: Any) -> Hashable:
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value  # type: ignore[no-any-return]


class TransformersRunner(PipelineRunner[Q]):
    """A runner over transformers' ``pipeline`` for :attr:`task`, float32, on the runner's device."""

    task: ClassVar[str]

    def __init__(self, path: Path, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        torch, transformers = import_torch_stack("transformers")
        # a directory: read from disk, the Hub never asked
        self.pipe: Any = transformers.pipeline(
            self.task, model=str(path), device=torch.device(self.device), dtype=torch.float32
        )
        self._model = self.pipe.model

    def compute_batch(self, inputs: list[Any], parameters: dict[str, Any]) -> list[Any]:
        outputs = self.pipe(inputs, batch_size=len(inputs), **parameters)
        return [plain(each) for each in outputs]

    @property
    def window(self) -> int:
        """The most tokens the model reads at once: its tokenizer's limit, within its position embeddings."""
        limit = int(min(self.pipe.tokenizer.model_max_length, 1_000_000))
        positions = getattr(self.pipe.model.config, "max_position_embeddings", None)
        return min(limit, positions) if isinstance(positions, int) and positions > 0 else limit

    def tokens(self, texts: Sequence[str]) -> int:
        """The tokens ``texts`` take (what usage counts)."""
        return sum(len(ids) for ids in self.pipe.tokenizer(list(texts))["input_ids"])


def plain(value: Any) -> Any:
    """``value`` with numpy scalars and arrays as Python numbers and lists (what JSON can hold)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def refuse(name: str, problem: str) -> BadRequestError:
    """A request the model cannot answer as asked, naming the field."""
    return BadRequestError(problem, param=name)
