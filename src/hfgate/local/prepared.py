"""Where ``hfgate prepare`` keeps what it makes at install time, inside the installation.

Converting a packaged model's GGUF weights and exporting the default embedding model to ONNX take
seconds to minutes; done once by ``hfgate prepare`` (``make`` and the container's build run it), every
data directory finds the result here and a first start waits for neither. Read-only at run time: what a
model derives from it (an ONNX variant, a quantized copy) goes to the data directory's cache.
"""

from __future__ import annotations

import sys
from pathlib import Path

PREPARED = Path(sys.prefix) / "share" / "hfgate" / "models"
"""``<venv>/share/hfgate/models``: the GGUF conversions and ONNX exports made by ``hfgate prepare``."""
