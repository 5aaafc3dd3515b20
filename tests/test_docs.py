"""The documentation site builds strictly: a broken link, a missing include or a page left out of the
navigation fails the build, and with it this test (mkdocs.yml turns each into a warning, --strict into an
error)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _build(site_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_site_builds_strictly_with_the_settings_table(tmp_path: Path) -> None:
    result = _build(tmp_path / "site")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "site" / "configuration" / "index.html").read_text()
    assert "HFGATE_LOCAL_QUEUE_SIZE" in page
    assert "settings-table" not in page


def test_readme_stays_short_and_its_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [target for target in targets if "://" not in target]
    missing = [target for target in local if not (ROOT / target).exists()]
    assert local
    assert not missing, f"README links to files that do not exist: {missing}"
