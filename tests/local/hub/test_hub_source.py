"""Whether hfgate asks the Hub is the user's setting (``HFGATE_HF_HUB_OFFLINE``, else ``HF_HUB_OFFLINE``),
whatever loaded before: a local model's first load (torch and transformers imported, which import
huggingface_hub) must not turn the Hub off for the rest of the process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

_SCRIPT = """
from hfgate.config import Settings
from hfgate.local.hub.source import HubSource
from hfgate.local.lazy_imports import import_torch_stack

import_torch_stack("transformers", "sentence_transformers")  # what a default model's load does first
print(HubSource.from_settings(Settings(data_dir={data_dir!r})).offline)
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("environment", "offline"),
    [({}, False), ({"HF_HUB_OFFLINE": "1"}, True), ({"TRANSFORMERS_OFFLINE": "1"}, True)],
    ids=["unset", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"],
)
def test_a_local_models_load_leaves_the_hub_as_the_environment_says(
    environment: dict[str, str], offline: bool, tmp_path: Path
) -> None:
    inherited = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT.format(data_dir=str(tmp_path))],
        env={**inherited, **environment},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(offline)
