"""What a GPU has free now, as torch sees it: the numbers :mod:`hfgate.local.gpu_memory` decides with."""

from __future__ import annotations

from hfgate.local.lazy_imports import import_torch_stack


class TorchGpu:
    """The GPUs as torch sees them (the model cache's ``gpu``; a test gives its own numbers instead).

    Example:
        >>> TorchGpu().free_bytes("cuda:0") // (1 << 30)
        138
    """

    def free_bytes(self, device: str) -> int:
        """Bytes free on ``device`` (``cuda`` or ``cuda:N``): the driver's figure (``torch.cuda.mem_get_info``,
        which counts every process) plus what this process's allocator keeps cached and unused (the driver
        counts that as taken, but our next model can have it)."""
        (torch,) = import_torch_stack()
        free, _ = torch.cuda.mem_get_info(device)
        cached = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
        return int(free) + int(cached)

    def release_cached(self, device: str) -> None:
        """Give the memory of evicted models back to the driver, so other processes see it free too."""
        (torch,) = import_torch_stack()
        with torch.cuda.device(device):
            torch.cuda.empty_cache()
