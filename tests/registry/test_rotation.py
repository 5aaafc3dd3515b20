"""Secret-key rotation on SQLite: re-encryption, resuming, concurrent updates, the fleet's key check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine, insert, select

from hfgate.config import Settings
from hfgate.errors import SecretKeyMismatchError, SecretKeyRotationError
from hfgate.registry.database import make_engine
from hfgate.registry.endpoint import Endpoint
from hfgate.registry.key_check import KeyState, check_secret_key, recorded_fingerprint
from hfgate.registry.migrations import migrate
from hfgate.registry.rotation import Batch, census, rotate
from hfgate.registry.schema import endpoints
from hfgate.registry.secrets import SecretBox
from hfgate.registry.store import EndpointStore
from hfgate.tasks import TaskType

OLD, NEW, OTHER = Fernet.generate_key(), Fernet.generate_key(), Fernet.generate_key()
ROTATING = SecretBox(NEW, previous=OLD)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A registry first started with ``OLD``, holding seven endpoints."""
    engine = make_engine(Settings(data_dir=tmp_path))
    try:
        migrate(engine)
        check_secret_key(engine, SecretBox(OLD))
        store = EndpointStore(engine, SecretBox(OLD))
        for n in range(7):
            store.create(_endpoint(f"emb-{n}"))
        yield engine
    finally:
        engine.dispose()


def _endpoint(inference_id: str, token: str | None = None) -> Endpoint:
    return Endpoint(inference_id=inference_id, task_type=TaskType.TEXT_EMBEDDING, service="hugging_face",
                    service_settings={"url": "http://127.0.0.1:1/embed"},
                    secrets={"api_key": token or f"hf_{inference_id}"})  # fmt: skip


def _tokens(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {row.inference_id: row.secrets for row in conn.execute(select(endpoints))}


def _quiet(_batch: Batch) -> None:
    pass


def test_rotation_reencrypts_every_secret_with_the_new_key_and_the_old_key_then_reads_none(engine: Engine) -> None:
    batches: list[Batch] = []
    assert rotate(engine, ROTATING, batch_size=3, report=batches.append) == 7
    assert [(b.rows, b.reencrypted) for b in batches] == [(3, 3), (3, 3), (1, 1), (3, 0), (3, 0), (1, 0)]
    for inference_id, token in _tokens(engine).items():
        assert SecretBox(NEW).decrypt(token) == {"api_key": f"hf_{inference_id}"}
        with pytest.raises(InvalidToken):
            Fernet(OLD).decrypt(token.encode())
    assert recorded_fingerprint(engine) == SecretBox(NEW).fingerprint


def test_replicas_taught_the_next_key_first_read_what_replicas_already_on_it_write(engine: Engine) -> None:
    """The window-free order: every replica first reads the next key (previous=NEW, still writing OLD),
    then swaps; a replica still on the first step reads an endpoint a swapped one wrote."""
    preparing = SecretBox(OLD, previous=NEW)
    assert check_secret_key(engine, preparing) is KeyState.PREPARING
    assert check_secret_key(engine, ROTATING) is KeyState.ROTATING
    EndpointStore(engine, ROTATING).replace(_endpoint("emb-1", "hf_written_by_a_swapped_replica"))
    assert EndpointStore(engine, preparing).get("emb-1").secrets == {"api_key": "hf_written_by_a_swapped_replica"}
    with pytest.raises(InvalidToken):  # what the old key alone could not have read
        Fernet(OLD).decrypt(_tokens(engine)["emb-1"].encode())


def test_after_rotation_the_new_key_alone_starts_and_the_old_key_is_refused(engine: Engine) -> None:
    assert check_secret_key(engine, ROTATING) is KeyState.ROTATING
    rotate(engine, ROTATING, batch_size=100, report=_quiet)
    assert check_secret_key(engine, SecretBox(NEW)) is KeyState.MATCHES
    assert check_secret_key(engine, ROTATING) is KeyState.ROTATED
    assert EndpointStore(engine, SecretBox(NEW)).get("emb-3").secrets == {"api_key": "hf_emb-3"}
    with pytest.raises(SecretKeyMismatchError, match="rotated out"):
        check_secret_key(engine, SecretBox(OLD))
    with pytest.raises(SecretKeyMismatchError, match="rotated out"):
        check_secret_key(engine, SecretBox(OLD, previous=NEW))


def test_an_interrupted_rotation_resumes_where_it_stopped_and_a_third_run_changes_nothing(engine: Engine) -> None:
    def crash_after_first_batch(batch: Batch) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate(engine, ROTATING, batch_size=3, report=crash_after_first_batch)
    assert census(engine, ROTATING, batch_size=3).current == 3
    assert recorded_fingerprint(engine) == SecretBox(OLD).fingerprint  # not recorded before the end
    assert rotate(engine, ROTATING, batch_size=3, report=_quiet) == 4
    assert rotate(engine, ROTATING, batch_size=3, report=_quiet) == 0
    assert census(engine, ROTATING, batch_size=3).current == 7


def test_an_update_by_a_replica_between_read_and_write_wins_over_the_rotation(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    replica = EndpointStore(engine, SecretBox(NEW, previous=OLD))
    original = SecretBox.reencrypt

    def replica_updates_first(box: SecretBox, token: str) -> str:
        if replica.get("emb-2").secrets["api_key"] == "hf_emb-2":
            replica.replace(_endpoint("emb-2", token="hf_changed"))  # a PUT _update on another replica
        return original(box, token)

    monkeypatch.setattr(SecretBox, "reencrypt", replica_updates_first)
    batches: list[Batch] = []
    rotate(engine, ROTATING, batch_size=100, report=batches.append)
    assert batches[0].changed == 1
    assert batches[0].reencrypted == 6
    assert batches[-1].reencrypted == batches[-1].changed == 0
    assert EndpointStore(engine, SecretBox(NEW)).get("emb-2").secrets == {"api_key": "hf_changed"}


def test_a_secret_neither_key_reads_is_named_and_nothing_is_changed(engine: Engine) -> None:
    stray = {**EndpointStore(engine, SecretBox(OTHER))._row(_endpoint("stray")), "version": 1}
    with engine.begin() as conn:
        conn.execute(insert(endpoints).values(**stray))
    before = _tokens(engine)
    with pytest.raises(SecretKeyRotationError, match="endpoint\\(s\\) stray decrypt with neither"):
        rotate(engine, ROTATING, batch_size=3, report=_quiet)
    assert _tokens(engine) == before
    assert census(engine, ROTATING, batch_size=3).unreadable == ["stray"]


@pytest.mark.parametrize(
    ("box", "message"),
    [
        (SecretBox(NEW), "HFGATE_SECRET_KEY_PREVIOUS is not set"),
        (SecretBox(OLD, previous=OLD), "are the same key"),
        (SecretBox(NEW, previous=OTHER), "neither HFGATE_SECRET_KEY's .* nor HFGATE_SECRET_KEY_PREVIOUS's"),
    ],
)
def test_rotation_refuses_keys_that_cannot_be_right(engine: Engine, box: SecretBox, message: str) -> None:
    before = _tokens(engine)
    with pytest.raises(SecretKeyRotationError, match=message):
        rotate(engine, box, batch_size=3, report=_quiet)
    assert _tokens(engine) == before


def test_rotating_back_to_a_retired_key_is_refused(engine: Engine) -> None:
    rotate(engine, ROTATING, batch_size=100, report=_quiet)
    with pytest.raises(SecretKeyRotationError, match="was rotated out of this database before"):
        rotate(engine, SecretBox(OLD, previous=NEW), batch_size=100, report=_quiet)


def test_a_replica_with_an_unrelated_key_is_refused_naming_both_variables(engine: Engine) -> None:
    with pytest.raises(SecretKeyMismatchError) as refused:
        check_secret_key(engine, SecretBox(NEW, previous=OTHER))
    assert "HFGATE_SECRET_KEY does not match" in refused.value.reason
    assert "HFGATE_SECRET_KEY_PREVIOUS" in refused.value.reason


def test_a_box_with_a_previous_key_reads_both_and_writes_with_the_new_one() -> None:
    old_token = SecretBox(OLD).encrypt({"api_key": "a"})
    assert ROTATING.decrypt(old_token) == {"api_key": "a"}
    assert not ROTATING.is_current(old_token)
    written = ROTATING.encrypt({"api_key": "b"})
    assert ROTATING.is_current(written)
    assert SecretBox(NEW).decrypt(written) == {"api_key": "b"}
