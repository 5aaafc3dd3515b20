"""``hfgate apply -f FILE`` and ``hfgate export`` against a real hfgate on 127.0.0.1 (fake Hugging Face upstream)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hfgate.cli import app
from tests.fakes.hf_fixtures import fake_hf, fake_hf_server, hf_settings
from tests.fakes.hf_server import TOKEN, FakeHF
from tests.support.live_server import live_server

__all__ = ["fake_hf", "fake_hf_server"]
ADMIN = "bootstrap-admin-key-for-cli-apply"
runner = CliRunner()


def _file(base: str, tmp_path: Path, *, chunk: int) -> Path:
    path = tmp_path / "hfgate.yaml"
    path.write_text(f"""\
endpoints:
  tei-emb:
    task_type: text_embedding
    service: hugging_face
    service_settings: {{url: "{base}/tei", api_key: "${{HF_TOKEN}}"}}
    chunking_settings: {{strategy: word, max_chunk_size: {chunk}, overlap: 10}}
keys:
  ci-reader: {{roles: [monitor]}}
""")
    return path


def test_apply_dry_run_apply_again_and_export_from_the_command_line(
    fake_hf: FakeHF, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = hf_settings(fake_hf.base, tmp_path / "data").model_copy(
        update={"provision_defaults": False, "registry_cache_seconds": 0, "log_format": "text", "api_keys": [ADMIN]}
    )
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    with live_server(settings) as url:
        common = ["--url", url, "--api-key", ADMIN]
        path = _file(fake_hf.base, tmp_path, chunk=100)
        planned = runner.invoke(app, ["apply", "-f", str(path), "--dry-run", *common])
        assert planned.exit_code == 0, planned.output
        assert "+ endpoint tei-emb (create)" in planned.output
        assert "dry run: 2 change(s)" in planned.output
        applied = runner.invoke(app, ["apply", "-f", str(path), *common])
        assert applied.exit_code == 0, applied.output
        assert "new key ci-reader" in applied.output
        again = runner.invoke(app, ["apply", "-f", str(path), *common])
        assert "no changes: the registry matches the file" in again.output
        exported = runner.invoke(app, ["export", *common])
        assert exported.exit_code == 0
        assert "api_key: ${HFGATE_TEI_EMB_API_KEY}" in exported.output
        assert TOKEN not in exported.output
        broken = tmp_path / "broken.yaml"
        broken.write_text("endpoints:\n  x: {service: hugging_face, colour: red}\n")
        # wide enough that rich does not fold the message inside the path (longer under xdist's workers)
        refused = runner.invoke(app, ["apply", "-f", str(broken), *common], env={"COLUMNS": "400"})
        assert refused.exit_code == 1
        assert f"{broken}:2: [endpoints.x.colour] unknown field" in " ".join(refused.output.split())
