"""Client packages that cannot share hfgate's venv, each installed in a directory of its own.

Elasticsearch's 9.x client and its 8.x client (in the venv) are one import name; ``text-generation``
pins ``huggingface_hub<1``; ``google-genai`` a newer ``websockets`` than ``openai-agents`` allows;
Haystack pins newer ``anyio``/``certifi`` than the venv's; LlamaIndex pins
an older ``openai``; ``langchain-tests`` pins a newer pytest and brings pytest plugins; Dify's plugin SDK pins
Flask, gevent and an older ``tiktoken``. Each set is
installed with uv into a directory (``--target``, ``tests/support/installer.py``) under ``<venv>/apart/<name>``
(once; again when its pins change) and driven by a script in ``tests/clients`` run in a subprocess
whose ``PYTHONPATH`` starts with it. ``make test`` installs them all up front (``python -m
tests.support.apart``, or one set: ``python -m tests.support.apart llamaindex``); a test run from a
clean clone installs what it needs on first use.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.support import installer

# The pinned current releases the client tests drive (docs/testing.md lists them).
SETS: dict[str, tuple[str, ...]] = {
    "es9": ("elasticsearch==9.5.1",),
    "haystack": ("haystack-ai==3.4.1", "huggingface-api-haystack==3.1.0"),
    "tgi": ("text-generation==0.7.0",),
    # google-genai brings websockets 17, above what openai-agents in the venv allows
    "genai": ("google-genai==3.6.1",),
    # llama-index-llms-openai pins an older openai than the venv's
    "llamaindex": ("llama-index-core==0.14.25", "llama-index-llms-openai-like==0.8.1"),
    # LangChain's standard tests pin pytest>=9.0.3 and bring pytest plugins of their own
    "langchain": ("langchain-tests==1.1.9", "langchain-openai==1.7.4", "langchain-core==1.8.3"),
    # transformers 4's question-answering, summarization and translation pipelines (5 dropped them): the
    # reference the local runners of those tasks are checked against (torch is the venv's)
    # Dify's plugin SDK: its OpenAI-compatible speech-to-text call (dify-official-plugins' openai_api_compatible
    # plugin subclasses it unchanged); it pins Flask, gevent and an older tiktoken
    "dify": ("dify_plugin==0.7.4",),
    "transformers4": ("transformers==4.57.1", "tokenizers==0.22.1", "huggingface-hub==0.36.0"),
}
SCRIPTS = Path(__file__).resolve().parent.parent / "clients"
_ROOT = Path(__file__).resolve().parents[2]


def target(name: str) -> Path:
    """The directory holding set ``name``, installed if missing or stale."""
    where = Path(sys.prefix) / "apart" / name
    stamp = where / ".pins"
    pins = "\n".join(SETS[name])
    if stamp.exists() and stamp.read_text() == pins:
        return where
    shutil.rmtree(where, ignore_errors=True)
    installer.install(*SETS[name], target=where)
    stamp.write_text(pins)
    return where


def run_client(name: str | None, script: str, *args: str, timeout: float = 1200) -> Any:
    """Run ``tests/clients/<script>`` with set ``name`` (``None``: the venv's own packages) first on the
    path; its stdout is JSON."""
    path = [str(_ROOT)] if name is None else [str(target(name)), str(_ROOT)]
    # HF_HUB_OFFLINE (set for the suite's model loading) would make InferenceClient refuse every URL
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "HF_HUB_OFFLINE": "0"}
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / script), *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise AssertionError(f"{script} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout)


if __name__ == "__main__":  # python -m tests.support.apart [name…]: install the named sets (default: all)
    chosen = sys.argv[1:] or list(SETS)
    with ThreadPoolExecutor(max_workers=len(chosen)) as pool:  # one uv each, side by side
        for each, where in zip(chosen, pool.map(target, chosen), strict=True):
            print(each, where)
