"""The fake Hugging Face server, for the upstream client's tests over real HTTP."""

from tests.fakes.hf_fixtures import fake_hf, fake_hf_server

__all__ = ["fake_hf", "fake_hf_server"]
