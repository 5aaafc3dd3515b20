"""What this machine's CPU is, read from ``/proc/cpuinfo``: the key under which engine measurements are kept.

Two machines with the same model name and the same flags run an engine at the same speed (to within
noise), so a measurement made on one is reused on the other; any other difference (a flag missing
in a VM, another generation) gets a measurement of its own.
"""

from __future__ import annotations

import hashlib
import platform
import re
from dataclasses import dataclass
from pathlib import Path

_NATIVE_BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})
# Flags that change which engine is fastest; shown in engine choices (the key hashes every flag).
_COMPUTE_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


@dataclass(frozen=True, slots=True)
class CpuSignature:
    """A CPU's model name and flags.

    Example:
        >>> read_cpu().key
        'amd-epyc-3f2a9c01d4e5'
    """

    model: str
    flags: frozenset[str]

    @property
    def key(self) -> str:
        """A file-name-safe identity: the model name and a digest of every flag."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.model.lower()).strip("-")[:40] or "cpu"
        digest = hashlib.sha256(" ".join(sorted(self.flags)).encode()).hexdigest()[:12]
        return f"{slug}-{digest}"

    @property
    def native_bfloat16(self) -> bool:
        """Whether bfloat16 is computed natively (else emulated, and slower than float32)."""
        return not _NATIVE_BF16_FLAGS.isdisjoint(self.flags)

    def describe(self) -> str:
        """The model name and the flags that matter for inference, e.g. ``AMD EPYC (avx512f avx512_bf16)``."""
        shown = " ".join(flag for flag in _COMPUTE_FLAGS if flag in self.flags)
        return f"{self.model} ({shown or 'no AVX'})"


def read_cpu(cpuinfo: Path = Path("/proc/cpuinfo")) -> CpuSignature:
    """The first processor's model name and flags (``platform.processor()`` where there is no cpuinfo)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return CpuSignature(model=platform.processor() or platform.machine() or "unknown", flags=frozenset())
    fields: dict[str, str] = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        fields.setdefault(name.strip(), value.strip())
    model = fields.get("model name") or platform.processor() or "unknown"
    return CpuSignature(model=model, flags=frozenset(fields.get("flags", "").split()))
