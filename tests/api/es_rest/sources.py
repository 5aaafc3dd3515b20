"""Which of Elasticsearch's files the YAML REST tests read, each pinned to a commit and its SHA-256.

The files are Elasticsearch's (Elastic License 2.0, SSPL or AGPL v3) and stay out of hfgate's tree: they
are test data, read from ``upstream/`` (git-ignored) at the path they have in the elasticsearch
repository. ``python -m tests.api.es_rest.sources`` downloads the missing ones from GitHub at their
commits and checks every file's hash, so what the tests ran is exactly what is named here.
"""

from __future__ import annotations

import hashlib
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

UPSTREAM = Path(__file__).resolve().parent / "upstream"
RAW = "https://raw.githubusercontent.com/elastic/elasticsearch/{commit}/{path}"
_SPEC = "rest-api-spec/src/main/resources/rest-api-spec/api/"
_XPACK_TESTS = "x-pack/plugin/src/yamlRestTest/resources/rest-api-spec/test/"


@dataclass(frozen=True, slots=True)
class Source:
    """One file of the elasticsearch repository, as it was at ``commit``."""

    path: str
    commit: str
    sha256: str

    @property
    def local(self) -> Path:
        return UPSTREAM / self.path


TESTS = (
    Source(
        _XPACK_TESTS + "inference/inference_crud.yml",
        "e43a3531731776cbf2ff1e7ed7a5dabf0d375c88",
        "34c13bc987abd6fbce465541b1314c94d4aa85a510bb6d85dea02198c2586f70",
    ),
    Source(
        _XPACK_TESTS + "api_key/60_admin_user.yml",
        "87f71fcde6c214e7be6843a8a152635033d07685",
        "35b8af9b435c01be4c6b5542716ed77d9737f25d438f1016cd8d4931a89b59e8",
    ),
)
# The API specifications the tests' ``do`` steps name (method and path of each API).
SPECS = (
    Source(
        _SPEC + "inference.get.json",
        "0b556b015f1fda993b9cacd0164c15bdb13cd60a",
        "9af46797bb23004fe806fb1afd2ad61d792e8bb63eeb98089ee1dcb434433582",
    ),
    Source(
        _SPEC + "inference.put.json",
        "0b556b015f1fda993b9cacd0164c15bdb13cd60a",
        "297bc28b40424ebc43fd98f273d413abc5cc926fd7a20d8aa13ba845b6b280fe",
    ),
    Source(
        _SPEC + "security.authenticate.json",
        "0318f601eb855c5420f789873f255ef7b2686b47",
        "708c9bf6953a16155cacb817e3650ac96e9e4b1467aced1f1ed51ef01603190b",
    ),
    Source(
        _SPEC + "security.create_api_key.json",
        "130fa2e0b3476e0cd0dcb260918ff1205f1c7ed2",
        "69a399c1fd04dd074db8f77b6a92738a1aadd5b8c51fd1ab3823750c5bfc45b3",
    ),
    Source(
        _SPEC + "security.get_api_key.json",
        "1e4b9b0149818f38ba6d8210168e4f5bebf28e03",
        "299eb2c6257c5158a9f3bf4a1fe1128d723fd4e334849fd3aa6283d43d4b694a",
    ),
    Source(
        _SPEC + "security.has_privileges.json",
        "0b804c5deda1126760ac08f3a3059a25c061bac7",
        "3c26ede6fedd11da577155935575a902b8a3932be961e8a8e10f7c9139a2e8d6",
    ),
    Source(
        _SPEC + "security.invalidate_api_key.json",
        "04e963b8cbd904c9be47f0522d91b41d910cd9f1",
        "6d7cea6b866bdf5869fff3d43d20b81ad0bd0dce3261eb6860e21e2754366ff9",
    ),
    Source(
        _SPEC + "security.query_api_keys.json",
        "14527caf012faf2f217b26520dcf1874e228b066",
        "dc59f937b548978065995435ba4ea83a04bf46b7d95f029c72aa934c81dfd6e6",
    ),
    Source(
        _SPEC + "security.update_api_key.json",
        "29635840dc3d78df1f69a37950ef4c377c42fcc3",
        "559110b74ab20609f7cc83493c8b1b5faac9fe4a0813847d0698256e93343db4",
    ),
)
FETCH = "python -m tests.api.es_rest.sources"


def missing() -> list[Source]:
    """The sources not (yet) under ``upstream/``."""
    return [source for source in (*TESTS, *SPECS) if not source.local.is_file()]


def check(source: Source) -> None:
    """Fail unless the local copy is the pinned file, byte for byte."""
    digest = hashlib.sha256(source.local.read_bytes()).hexdigest()
    if digest != source.sha256:
        raise ValueError(f"{source.local} has SHA-256 {digest}, not the pinned {source.sha256}; run {FETCH}")


def fetch(source: Source) -> None:
    """Download one source at its commit, checked before it is kept."""
    url = RAW.format(commit=source.commit, path=source.path)
    with urllib.request.urlopen(url, timeout=30) as answer:
        data: bytes = answer.read()
    if hashlib.sha256(data).hexdigest() != source.sha256:
        raise ValueError(f"{url} is not the pinned file (SHA-256 differs)")
    source.local.parent.mkdir(parents=True, exist_ok=True)
    source.local.write_bytes(data)


def main() -> int:
    """Fetch what is missing and check every file; where GitHub cannot be reached (CI, an offline machine)
    say so and leave the tests to skip with the reason, as a hash that differs fails."""
    for source in missing():
        print(f"fetching {source.path} at {source.commit[:12]}")
        try:
            fetch(source)
        except OSError as exc:  # urllib's URLError and timeouts among them: no network, not a wrong file
            print(f"GitHub cannot be reached ({exc}): Elasticsearch's YAML REST tests will skip until {FETCH} runs")
            return 0
    for source in (*TESTS, *SPECS):
        check(source)
    print(f"{len(TESTS)} test files and {len(SPECS)} API specifications in {UPSTREAM}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
