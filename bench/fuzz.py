"""The long fuzzing run: schemathesis over hfgate's whole OpenAPI document, many examples each.

The same harness as tests/api/test_fuzz_openapi.py (a real hfgate on 127.0.0.1 with its default local
models, the fake Hugging Face server, urls allowed on 127.0.0.1 only, token counts clamped), with
``--max-examples`` per operation and a longer stateful phase (create → infer → read → update →
delete along the document's links). Prints each failure and a summary; exits 1 if any.

Run: ``.venv/bin/python bench/fuzz.py [--max-examples 2000] [--stateful-examples 300] [--path REGEX]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import schemathesis
from hypothesis import HealthCheck, settings
from tests.api.test_fuzz_openapi import ADMIN, CHECKS, bound, fuzz_operations, fuzz_settings
from tests.fakes.hf_server import FakeHF
from tests.support.live_server import serve_app

from hfgate.api.app import create_app


def stateful(api_schema: Any, *, examples: int) -> str | None:
    class Machine(api_schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            bound(case)

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    try:
        Machine.run(settings=settings(max_examples=examples, stateful_step_count=10, deadline=None,
                                      suppress_health_check=list(HealthCheck)))  # fmt: skip
    except Exception as exc:
        return str(exc)[:3000]
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=2000)
    parser.add_argument("--stateful-examples", type=int, default=300)
    parser.add_argument("--path", default=None, help="only operations whose path matches this regex")
    args = parser.parse_args()
    fake = FakeHF()
    fake.start()
    started = time.monotonic()
    try:
        with serve_app(create_app(fuzz_settings(Path(tempfile.mkdtemp(prefix="hfgate-fuzz-")), fake))) as url:
            schema = schemathesis.openapi.from_url(f"{url}/openapi.json", headers=ADMIN)
            if args.path:
                schema = schema.include(path_regex=args.path)
            failures = fuzz_operations(schema, examples=args.max_examples)
            machine = stateful(schema, examples=args.stateful_examples)
    finally:
        fake.stop()
    failures += [f"stateful: {machine}"] if machine else []
    operations = sum(1 for _ in schema.get_all_operations())
    print("\n\n".join(failures))
    print(f"operations: {operations}, max examples each: {args.max_examples}, stateful scenarios: "
          f"{args.stateful_examples}, failures: {len(failures)}, seconds: {time.monotonic() - started:.0f}, "
          f"load: {os.getloadavg()[0]:.2f}")  # fmt: skip
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
