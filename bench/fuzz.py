"""The long fuzzing run: schemathesis over hfgate's whole OpenAPI document, and generation bodies that
reach the local engine, round after round with random seeds, for as long as asked.

The server is ``hfgate serve`` (as ``make run`` starts it) in a child process on a fresh data directory,
with what the harness of tests/api/test_fuzz_openapi.py sets on top of the defaults: the fuzzer's admin
key (so every operation is reached with a key, and a key it creates cannot lock it out), the fake
Hugging Face server for the remote URLs and urls allowed on 127.0.0.1 only. Each round draws a seed,
runs every operation ``--max-examples`` times, ``--generation-examples`` generation bodies
(tests/api/fuzz_generation.py), ``--task-examples`` requests to the Hub tasks' routes on one endpoint per task
(tests/api/fuzz_tasks.py, tiny random models) and ``--stateful-examples`` create → infer → update → delete scenarios.
A request fails the run when it is answered 5xx or not within its timeout (150 s); a status or body the
document does not describe is reported too. Prints each failure, the seeds, and the counts; exits 1 if any.

Run: ``nice .venv/bin/python bench/fuzz.py --minutes 30 [--seed N] [--max-examples 20] [--path REGEX]``
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import schemathesis
from hypothesis import HealthCheck, settings
from tests.api.fuzz_tasks import create_task_endpoints
from tests.api.test_fuzz_openapi import (
    ADMIN,
    ADMIN_KEY,
    CHECKS,
    TALLY,
    bound,
    fuzz_generation,
    fuzz_operations,
    fuzz_tasks,
)
from tests.fakes.hf_server import FakeHF
from tests.support.live_server import free_port


def stateful(api_schema: Any, *, examples: int, seed: int) -> str | None:
    class Machine(api_schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            bound(case)

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            TALLY["requests"] += 1
            TALLY["5xx"] += response.status_code >= 500
            case.validate_response(response, checks=CHECKS)

    try:
        Machine.run(settings=settings(max_examples=examples, stateful_step_count=10, deadline=None,
                                      suppress_health_check=list(HealthCheck)))  # fmt: skip
    except Exception as exc:
        return f"stateful (seed {seed}): {str(exc)[:3000]}"
    return None


def serve_env(data_dir: Path, fake: FakeHF) -> dict[str, str]:
    """``make run``'s environment, with the fuzz harness's key, fake Hugging Face, allowed hosts and registry cache."""
    return {
        **os.environ,
        "HFGATE_DATA_DIR": str(data_dir),
        "HFGATE_API_KEYS": ADMIN_KEY,
        "HFGATE_ALLOWED_URL_HOSTS": "127.0.0.1",
        "HFGATE_REGISTRY_CACHE_SECONDS": "0",  # a stateful scenario reads back what it just updated
        "HFGATE_HF_ROUTER_URL": f"{fake.base}/router",
        "HFGATE_HF_INFERENCE_URL": f"{fake.base}/hf-inference",
        "HFGATE_HF_HUB_URL": f"{fake.base}/hub",
        "HFGATE_HF_ENDPOINTS_URL": f"{fake.base}/endpoints/v2",
    }


@contextmanager
def hfgate_serve(env: dict[str, str], log: Path) -> Iterator[str]:
    """``hfgate serve`` in a child process until the block ends; yields its URL once it answers."""
    port = free_port()
    hfgate = Path(sys.executable).with_name("hfgate")
    with log.open("wb") as out:
        child = subprocess.Popen([str(hfgate), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                                 stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, child)
        yield url
    finally:
        child.terminate()
        child.wait(timeout=60)


def _wait(url: str, child: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if child.poll() is not None:
            raise SystemExit(f"hfgate serve exited with {child.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("hfgate serve did not answer /health in 5 minutes")


def warm(url: str) -> None:
    """Load the default models first: their first load is not what the fuzzer measures."""
    chat = {"model": ".smollm2-135m-instruct", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
    embed = {"model": ".all-minilm-l6-v2", "input": "hi"}
    for path, body in (("/v1/chat/completions", chat), ("/v1/embeddings", embed)):
        response = httpx.post(f"{url}{path}", json=body, headers=ADMIN, timeout=900)
        if not response.is_success:
            raise SystemExit(f"warming {path} failed: {response.status_code} {response.text[:300]}")


def one_round(schema: Any, url: str, *, seed: int, args: argparse.Namespace) -> list[str]:
    failures = [f"seed {seed}: {f}" for f in fuzz_operations(schema, examples=args.max_examples, seed=seed)]
    failures += [f"seed {seed}: {f}" for f in fuzz_generation(url, examples=args.generation_examples, seed=seed)]
    failures += [f"seed {seed}: {f}" for f in fuzz_tasks(url, examples=args.task_examples, seed=seed)]
    machine = stateful(schema, examples=args.stateful_examples, seed=seed)
    return failures + ([machine] if machine else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="start rounds until this much time has passed")
    parser.add_argument("--seed", type=int, default=None, help="the first round's seed (default: random)")
    parser.add_argument("--max-examples", type=int, default=20, help="examples per operation per round")
    parser.add_argument("--generation-examples", type=int, default=40, help="generation bodies per round")
    parser.add_argument("--task-examples", type=int, default=200, help="Hub task requests per round")
    parser.add_argument("--stateful-examples", type=int, default=10, help="stateful scenarios per round")
    parser.add_argument("--path", default=None, help="only operations whose path matches this regex")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    fake = FakeHF()
    fake.start()
    work = Path(tempfile.mkdtemp(prefix="hfgate-fuzz-"))
    started, failures, seeds = time.monotonic(), [], []
    try:
        with hfgate_serve(serve_env(work / "data", fake), work / "server.log") as url:
            warm(url)
            create_task_endpoints(url, work / "tiny-models", ADMIN)
            schema = schemathesis.openapi.from_url(f"{url}/openapi.json", headers=ADMIN)
            schema = schema.include(path_regex=args.path) if args.path else schema
            while time.monotonic() - started < args.minutes * 60:
                seeds.append(args.seed if args.seed is not None and not seeds else rng.randrange(2**32))
                failures += one_round(schema, url, seed=seeds[-1], args=args)
                print(f"round {len(seeds)} seed {seeds[-1]}: {dict(TALLY)}, failures {len(failures)}", flush=True)
    finally:
        fake.stop()
    print("\n\n".join(failures))
    seconds = time.monotonic() - started
    print(f"seeds: {seeds}\nrequests: {TALLY['requests']}, answered 5xx: {TALLY['5xx']}, not answered within "
          f"their timeout: {TALLY['unanswered']}, failures: {len(failures)}, seconds: {seconds:.0f}, "
          f"server log: {work / 'server.log'}, load: {os.getloadavg()[0]:.2f}")  # fmt: skip
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
