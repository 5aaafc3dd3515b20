"""No two modules of hfgate import each other, directly or round a loop, and no two of its packages; the
checks catch one."""

from __future__ import annotations

from pathlib import Path

from tests.architecture.import_graph import circles, package_circles, read_tree

SRC = Path(__file__).resolve().parents[2] / "src"


def test_src_hfgate_has_no_import_circle() -> None:
    assert circles(read_tree(SRC)) == []


def test_a_circle_hidden_behind_type_checking_is_caught() -> None:
    sources = read_tree(SRC)
    sources["hfgate.embed_cache.disk_tier"] += (
        "\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from hfgate.embed_cache.cache import EmbedCache\n"
    )
    assert circles(sources) == [["hfgate.embed_cache.cache", "hfgate.embed_cache.disk_tier"]]


def test_a_circle_through_a_module_imported_by_name_from_its_package_is_caught() -> None:
    sources = read_tree(SRC)
    sources["hfgate.process.drain"] += "\nfrom hfgate.api import sse\n"  # api.sse: from hfgate.process import drain
    assert circles(sources) == [["hfgate.api.sse", "hfgate.process.drain"]]


def test_a_loop_through_three_modules_is_one_circle() -> None:
    sources = {
        "hfgate.a": "from hfgate.b import x",
        "hfgate.b": "def f() -> None:\n    from hfgate.c import y",
        "hfgate.c": "import hfgate.a",
        "hfgate.d": "from hfgate.a import z",
    }
    assert circles(sources) == [["hfgate.a", "hfgate.b", "hfgate.c"]]


def test_src_hfgate_has_no_package_loop() -> None:
    assert package_circles(read_tree(SRC)) == []


def test_a_package_loop_without_a_module_circle_is_caught() -> None:
    """Two packages importing each other through different modules, as ``ratelimit`` and ``fleet`` did,
    and ``chat`` and ``tasks``: no module circle, still one loop."""
    sources = read_tree(SRC)
    sources["hfgate.chat.tool_calls"] += "\nfrom hfgate.tasks import Usage\n"
    sources["hfgate.fleet.changes"] += "\nfrom hfgate.ratelimit.timeline import Clock\n"
    sources["hfgate.ratelimit.outage"] += "\nfrom hfgate.fleet.redis_changes import RedisChanges\n"
    assert circles(sources) == []
    assert package_circles(sources) == [["hfgate.chat", "hfgate.tasks"], ["hfgate.fleet", "hfgate.ratelimit"]]


def test_a_package_loop_through_three_packages_and_the_root_module_is_one() -> None:
    sources = {
        "hfgate": "",
        "hfgate.a.x": "from hfgate.b import y",
        "hfgate.b": "import hfgate.c.z",
        "hfgate.c.z": "def f() -> None:\n    from hfgate.a import x",
        "hfgate.d": "import hfgate",
    }
    assert package_circles(sources) == [["hfgate.a", "hfgate.b", "hfgate.c"]]
