"""Keys name everything a vector depends on; packed vectors come back bit for bit."""

from __future__ import annotations

import hashlib
import struct

from hypothesis import given
from hypothesis import strategies as st

from hfgate.embed_cache.key import VectorSpace, content_keys, model_prefix, text_keys
from hfgate.embed_cache.vectors import pack, pack_wide, unpack
from hfgate.tasks import InputType

FLOAT32 = st.floats(width=32, allow_nan=False)
ANY_FLOAT = st.floats(allow_nan=False)


@given(st.lists(FLOAT32, min_size=1, max_size=64))
def test_float32_vectors_are_stored_in_four_bytes_a_value_and_come_back_bit_for_bit(vector: list[float]) -> None:
    packed = pack(vector)
    assert len(packed) == 1 + 4 * len(vector)
    assert _bits(unpack(packed)) == _bits(vector)


@given(st.lists(ANY_FLOAT, min_size=1, max_size=64))
def test_values_float32_cannot_carry_are_stored_as_float64_and_come_back_bit_for_bit(vector: list[float]) -> None:
    assert _bits(unpack(pack(vector))) == _bits(vector)


@given(st.lists(st.floats(), min_size=1, max_size=64))
def test_packing_wide_without_the_float32_check_gives_back_every_value_bit_for_bit(vector: list[float]) -> None:
    packed = pack_wide(vector)
    assert len(packed) == 1 + 8 * len(vector)
    assert _bits(unpack(packed)) == _bits(vector)


def test_a_json_decimal_from_a_remote_server_keeps_its_exact_value() -> None:
    vector = [0.1, 0.254902, -0.333333]  # what a server writes: not float32 values once parsed
    assert len(pack(vector)) == 1 + 8 * 3
    assert unpack(pack(vector)) == vector


def test_two_endpoints_on_the_same_model_and_options_share_keys() -> None:
    one = VectorSpace(model="local|mini-abc", engine="exact", dimensions=384)
    other = VectorSpace(model="local|mini-abc", engine="exact", dimensions=384)
    assert text_keys(one, ["a", "b"]) == text_keys(other, ["a", "b"])


def test_every_option_that_changes_a_vector_changes_its_key() -> None:
    base = VectorSpace(model="local|mini-abc", engine="exact")
    variants = [
        VectorSpace(model="local|mini-abd", engine="exact"),
        VectorSpace(model="local|mini-abc", engine="torch-bf16"),
        VectorSpace(model="local|mini-abc", engine="exact", normalize=False),
        VectorSpace(model="local|mini-abc", engine="exact", dimensions=128),
        VectorSpace(model="local|mini-abc", engine="exact", input_type=InputType.SEARCH.value),
        VectorSpace(model="local|mini-abc", engine="exact", task_settings={"prompt": "query: "}),
    ]
    keys = {text_keys(space, ["same text"])[0] for space in [base, *variants]}
    assert len(keys) == len(variants) + 1


def test_keys_hold_no_text_and_start_with_their_models_prefix() -> None:
    space = VectorSpace(model="hf|http://tei", engine="")
    (key,) = text_keys(space, ["a secret sentence"])
    assert "secret" not in key
    assert key.startswith(model_prefix("hf|http://tei") + ":")
    assert all(c in "0123456789abcdef:" for c in key)


def test_a_lone_surrogate_has_a_key() -> None:
    assert len(text_keys(VectorSpace(model="m"), ["\ud800"])[0]) == 66


def _bits(vector: list[float]) -> list[bytes]:
    return [struct.pack("<d", value) for value in vector]


@given(st.text(), st.binary(min_size=1))
def test_an_image_is_keyed_by_its_bytes_and_never_shares_a_key_with_any_text(text: str, data: bytes) -> None:
    space = VectorSpace(model="clip")
    digest = hashlib.sha256(data).hexdigest()
    as_text = [text, digest, f"image:{digest}", data.decode("latin-1")]
    image_key = content_keys(space, ["", "x"], [digest, None])
    assert image_key[1] == text_keys(space, ["x"])[0]
    assert image_key[0] not in text_keys(space, as_text)
    assert content_keys(space, ["other"], [digest]) == image_key[:1]  # its place and text do not matter
