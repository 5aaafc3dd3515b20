"""Every module of hfgate stays small enough to read whole: at most 300 lines."""

from __future__ import annotations

from pathlib import Path

MOST_LINES = 300
PACKAGE = Path(__file__).resolve().parents[2] / "src" / "hfgate"


def too_long(root: Path, *, most: int = MOST_LINES) -> dict[str, int]:
    """Each ``.py`` file under ``root`` longer than ``most`` lines, with its length."""
    lengths = {
        str(path.relative_to(root)): len(path.read_text(encoding="utf-8").splitlines()) for path in root.rglob("*.py")
    }
    return {name: lines for name, lines in sorted(lengths.items()) if lines > most}


def test_no_module_of_src_hfgate_is_over_300_lines() -> None:
    assert too_long(PACKAGE) == {}


def test_a_module_over_the_limit_is_reported(tmp_path: Path) -> None:
    (tmp_path / "short.py").write_text("x = 1\n" * MOST_LINES, encoding="utf-8")
    (tmp_path / "long.py").write_text("x = 1\n" * (MOST_LINES + 1), encoding="utf-8")
    assert too_long(tmp_path) == {"long.py": MOST_LINES + 1}
