"""transformers 4's own pipelines (run with the ``transformers4`` set first on the path, ``tests/support/apart.py``):
what hfgate's question answering, summarization and translation must answer, transformers 5 having
dropped those pipelines. Reads a JSON list of calls ``{task, model, inputs, kwargs}`` from argv, prints
their outputs as a JSON list."""

from __future__ import annotations

import json
import sys

import transformers


def main() -> None:
    assert transformers.__version__.startswith("4."), transformers.__version__
    outputs = []
    for call in json.loads(sys.argv[1]):
        pipe = transformers.pipeline(call["task"], model=call["model"], device="cpu")
        outputs.append(pipe(call["inputs"], **call.get("kwargs", {})))
    print(json.dumps(outputs, default=float))


if __name__ == "__main__":
    main()
