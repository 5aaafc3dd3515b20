"""Writes endpoints in a loop until killed; prints each committed id (run by test_crash_consistency)."""

from __future__ import annotations

import sys
from pathlib import Path

from hfgate.config import Settings
from hfgate.registry.database import make_engine
from hfgate.registry.endpoint import Endpoint
from hfgate.registry.migrations import migrate
from hfgate.registry.secrets import SecretBox
from hfgate.registry.store import EndpointStore
from hfgate.tasks import TaskType


def main() -> None:
    settings = Settings(data_dir=Path(sys.argv[1]), database_url=sys.argv[2] or None)
    engine = make_engine(settings)
    migrate(engine)
    store = EndpointStore(engine, SecretBox.from_settings(settings))
    for n in range(100_000):
        endpoint = Endpoint(
            inference_id=f"e{n}",
            task_type=TaskType.TEXT_EMBEDDING,
            service="hugging_face",
            service_settings={"url": f"http://127.0.0.1:1/{n}", "padding": "x" * 2000},
            secrets={"api_key": f"hf_{n}"},
        )
        store.create(endpoint)
        if n % 3 == 0:
            store.replace(endpoint.evolve(secrets={"api_key": f"hf_{n}_rotated"}))
        print(n, flush=True)


if __name__ == "__main__":
    main()
