"""Every module of hfgate stays small enough to read whole: 300 lines is the guide.

The guide is not a reason to split a concept: a module named in ``ONE_CONCEPT`` may pass it, with the
reason it is one concept; the list is checked so that no name stays on it once its module is short again.
"""

from __future__ import annotations

from pathlib import Path

MOST_LINES = 300
PACKAGE = Path(__file__).resolve().parents[2] / "src" / "hfgate"

ONE_CONCEPT = {
    "config.py": "the one Settings class: every HFGATE_ variable, whose table docs/configuration.md is built from",
    "errors.py": "the whole error hierarchy in one module, its tree drawn in the docstring (STYLE.md)",
    "api/gateway.py": "the per-request work around each route: one ASGI layer and the parts it runs (keys, accounting)",
    "access/principal.py": "who the caller is: the key ring, the principal a key names, and a route's role check",
    "access/spend.py": "what requests use and cost: prices, budgets and the usage tally, settled together per request",
    "orchestrator/running.py": "one inference call on an endpoint: its deadline, its fallback and its record",
    "services/base.py": "the one contract of every service: its Service, and the Model with a coroutine per task",
    "tasks.py": "the one vocabulary of task requests and results shared by the faces and the services",
}


def too_long(root: Path, *, most: int = MOST_LINES) -> dict[str, int]:
    """Each ``.py`` file under ``root`` longer than ``most`` lines, with its length."""
    lengths = {
        str(path.relative_to(root)): len(path.read_text(encoding="utf-8").splitlines()) for path in root.rglob("*.py")
    }
    return {name: lines for name, lines in sorted(lengths.items()) if lines > most}


def test_no_module_of_src_hfgate_is_over_300_lines_unless_named_one_concept() -> None:
    assert {name: lines for name, lines in too_long(PACKAGE).items() if name not in ONE_CONCEPT} == {}


def test_each_module_named_one_concept_is_still_over_the_guide() -> None:
    assert sorted(name for name in ONE_CONCEPT if name not in too_long(PACKAGE)) == []


def test_a_module_over_the_limit_is_reported(tmp_path: Path) -> None:
    (tmp_path / "short.py").write_text("x = 1\n" * MOST_LINES, encoding="utf-8")
    (tmp_path / "long.py").write_text("x = 1\n" * (MOST_LINES + 1), encoding="utf-8")
    assert too_long(tmp_path) == {"long.py": MOST_LINES + 1}
