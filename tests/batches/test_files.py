"""The file store copies a file to its byte store piece by piece, lists it only once whole, keeps it its key's,
and sweeps it away once it expires."""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hfgate.batches.blobs import DirectoryStore, byte_store
from hfgate.batches.files import FileStore, InputLimits
from hfgate.config import Settings
from hfgate.errors import BadRequestError, FileBytesMissingError, FileStoreUnavailableError, NotFoundError
from hfgate.registry.database import make_engine
from hfgate.registry.migrations import migrate

MIB = 1024 * 1024


class Reads(io.BytesIO):
    """A source that remembers the size of each read asked of it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(-1 if size is None else size)
        return super().read(size)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = make_engine(Settings(data_dir=tmp_path))
    try:
        migrate(made)
        yield made
    finally:
        made.dispose()


@pytest.mark.parametrize("limits", [None, InputLimits(max_bytes=10 * MIB, max_lines=10)])
def test_a_file_is_copied_in_pieces_of_at_most_a_mebibyte(engine: Engine, tmp_path: Path, limits: InputLimits) -> None:
    data = b"x" * (3 * MIB + 5) + b"\n"
    source = Reads(data)
    store = FileStore(engine, DirectoryStore(tmp_path / "files"))
    stored = store.add(key_id="k", purpose="batch", filename="big.jsonl", source=source, limits=limits)
    assert all(0 < size <= MIB for size in source.asked)
    assert (tmp_path / "files" / stored.file_id).read_bytes() == data
    assert stored.size == len(data)
    assert sorted(p.name for p in (tmp_path / "files").iterdir()) == [stored.file_id]


def test_a_batch_input_over_a_limit_leaves_neither_bytes_nor_a_row(engine: Engine, tmp_path: Path) -> None:
    store = FileStore(engine, DirectoryStore(tmp_path / "files"))
    for data, setting in ((b"{}\n" * 4, "HFGATE_BATCH_INPUT_MAX_LINES"), (b"x" * 200, "HFGATE_BATCH_INPUT_MAX_BYTES")):
        with pytest.raises(BadRequestError, match=setting):
            store.add(key_id="k", purpose="batch", filename="in.jsonl", source=io.BytesIO(data),
                      limits=InputLimits(max_bytes=100, max_lines=3))  # fmt: skip
    assert list((tmp_path / "files").iterdir()) == []
    assert store.list(key_id="k") == []
    last_line_unended = store.add(key_id="k", purpose="batch", filename="in.jsonl", source=io.BytesIO(b"{}\n{}\n{}"),
                                  limits=InputLimits(max_bytes=100, max_lines=3))  # fmt: skip
    assert last_line_unended.size == 8


def test_files_are_their_keys_listed_newest_first_and_paged_with_after(engine: Engine, tmp_path: Path) -> None:
    store = FileStore(engine, DirectoryStore(tmp_path / "files"))
    made = [store.add(key_id="k", purpose="batch", filename=f"{n}", source=io.BytesIO(b"{}\n")) for n in range(3)]
    store.add(key_id="other", purpose="batch", filename="theirs", source=io.BytesIO(b"{}\n"))
    newest = store.list(key_id="k")
    assert sorted(f.file_id for f in newest) == sorted(f.file_id for f in made)
    assert [f.file_id for f in store.list(key_id="k", after=newest[0].file_id)] == [f.file_id for f in newest[1:]]
    oldest = store.list(key_id="k", newest_first=False)
    assert [f.file_id for f in oldest] == [f.file_id for f in reversed(newest)]
    with pytest.raises(NotFoundError):
        store.get(made[0].file_id, key_id="other")
    with pytest.raises(NotFoundError):
        store.delete(made[0].file_id, key_id="other")
    store.delete(made[0].file_id, key_id="k")
    assert not (tmp_path / "files" / made[0].file_id).exists()


def test_a_listed_file_without_its_bytes_here_names_the_shared_directory_setting(
    engine: Engine, tmp_path: Path
) -> None:
    store = FileStore(engine, DirectoryStore(tmp_path / "files"))
    stored = store.add(key_id="k", purpose="batch", filename="in.jsonl", source=io.BytesIO(b"{}\n"))
    with store.open(stored) as read:
        assert read.read() == b"{}\n"
    # a replica of a fleet that shares no directory
    elsewhere = FileStore(engine, DirectoryStore(tmp_path / "another-replica"))
    with pytest.raises(FileBytesMissingError, match="HFGATE_BATCH_FILES_DIR"):
        elsewhere.open(elsewhere.get(stored.file_id, key_id="k"))


def test_file_bytes_live_in_data_dir_unless_a_shared_directory_is_set(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).batch_files_dir_resolved == tmp_path / "files"
    assert (
        Settings(data_dir=tmp_path, batch_files_dir=tmp_path / "shared").batch_files_dir_resolved == tmp_path / "shared"
    )
    assert isinstance(byte_store(Settings(data_dir=tmp_path)), DirectoryStore)


def test_the_sweep_removes_expired_files_rows_and_bytes_and_keeps_the_rest(engine: Engine, tmp_path: Path) -> None:
    store = FileStore(engine, DirectoryStore(tmp_path / "files"))
    short = store.add(key_id="k", purpose="batch", filename="short", source=io.BytesIO(b"{}\n"), expires_after=3600)
    kept = store.add(key_id="k", purpose="batch", filename="long", source=io.BytesIO(b"{}\n"), expires_after=7200)
    forever = store.add_lines(key_id="k", purpose="batch_output", filename="out", lines=["{}"])
    assert store.sweep() == ()
    assert store.sweep(now=time.time() + 3601) == (short.file_id,)
    assert sorted(p.name for p in (tmp_path / "files").iterdir()) == sorted([kept.file_id, forever.file_id])
    assert {f.file_id for f in store.list(key_id="k")} == {kept.file_id, forever.file_id}
    assert store.sweep(now=time.time() + 3601) == ()  # nothing left to do: a second replica's sweep is harmless


def test_an_s3_store_without_boto3_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 fails, as where the extra is not installed
    with pytest.raises(FileStoreUnavailableError, match=r"pip install 'hfgate\[s3\]'"):
        byte_store(Settings(data_dir=tmp_path, batch_files_url="s3://bucket/prefix"))
