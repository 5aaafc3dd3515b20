"""The page in each language in a real browser: switcher, lang/dir, mirrored layout, add-model, playground."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from hfgate.api.ui.i18n import LOCALES, translations
from tests.api.ui.conftest import screenshot
from tests.api.ui.test_translations import LATIN_NAMES

# Visible Latin words on the page, leaving out what stays as it is: code, names and the API's reasons.
_LATIN_WORDS = """() => {
  const words = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    const kept = 'script, style, code, pre, datalist, textarea, [translate="no"], [lang="en"], [hidden]';
    if (!parent || parent.closest(kept)) continue;
    if (!parent.checkVisibility()) continue;
    words.push(...(node.textContent.match(/[A-Za-z]{3,}/g) ?? []));
  }
  return words;
}"""


def _t(tag: str, message: str, **values: str) -> str:
    text = translations(tag).gettext(message)
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


def _switch_to(page: Page, base_url: str, tag: str) -> None:
    """Choose ``tag`` with the switcher every page has (the choice is kept in a cookie)."""
    page.goto(f"{base_url}/ui/new")
    with page.expect_navigation():
        page.locator("#locale-choice").select_option(tag)
    expect(page.locator("html")).to_have_attribute("lang", tag)


def _untranslated(page: Page) -> list[str]:
    words: list[str] = page.evaluate(_LATIN_WORDS)
    return sorted({w for w in words if w not in LATIN_NAMES})


@pytest.mark.parametrize("tag", list(LOCALES))
def test_each_locale_adds_a_model_and_tries_it_in_its_own_language(page: Page, base_url: str, tag: str) -> None:
    _switch_to(page, base_url, tag)
    expect(page.locator("html")).to_have_attribute("dir", LOCALES[tag].direction)
    expect(page.locator("h1")).to_have_text(_t(tag, "Add a model"))

    inference_id = f"ui-{tag.lower()}-minilm"
    page.locator('input[name="task_type"][value="text_embedding"]').check()
    page.locator('input[name="source"][value="local"]').check()
    page.locator("#inference_id").fill(inference_id)
    page.locator("#locator").fill("all-MiniLM-L6-v2")
    page.locator("#add-submit").click()
    expect(page.locator("#add-submit")).to_be_enabled(timeout=60_000)
    expect(page.locator("#outcome-title")).to_have_text(_t(tag, "Endpoint {id} added", id=inference_id))
    passed = _t(tag, "The model answered a test call") + _t(tag, ": ") + _t(tag, "passed")
    expect(page.locator("#checks > li").nth(2)).to_contain_text(passed)
    expect(page.locator("#checks > li").nth(2)).to_contain_text(_t(tag, "Vector dimensions") + _t(tag, ": ") + "384")
    if tag != "en":
        assert _untranslated(page) == []
    screenshot(page, f"locale-{tag}-add-model")

    page.goto(f"{base_url}/ui/endpoints/{inference_id}/playground")
    page.locator("#embed").click()
    summary = _t(tag, "Vectors: {count}. Dimensions: {dimensions}.", count="3", dimensions="384")
    expect(page.locator("#embed-summary")).to_have_text(summary)
    expect(page.locator("#heatmap tbody td")).to_have_count(9)
    if tag != "en":
        assert _untranslated(page) == []
    screenshot(page, f"locale-{tag}-playground")


@pytest.mark.parametrize("tag", ["zh-Hans", "fa"])
def test_a_failed_check_is_explained_in_the_locale_beside_the_api_reason_in_english(
    page: Page, base_url: str, tag: str
) -> None:
    _switch_to(page, base_url, tag)
    page.locator('input[name="task_type"][value="text_embedding"]').check()
    page.locator('input[name="source"][value="hosted"]').check()
    page.locator("#inference_id").fill(f"ui-{tag.lower()}-no-token")
    page.locator("#locator").fill("BAAI/bge-small-en-v1.5")
    page.locator("#add-submit").click()
    expect(page.locator("#add-submit")).to_be_enabled(timeout=60_000)
    expect(page.locator("#outcome-title")).to_have_text(_t(tag, "The endpoint was not added"))
    first = page.locator("#checks > li").nth(0)
    expect(first.locator("strong")).to_have_text(
        _t(tag, "The settings are complete and valid") + _t(tag, ": ") + _t(tag, "failed")
    )
    reason = first.locator(".api-reason")
    expect(reason).to_have_attribute("lang", "en")
    expect(reason).to_contain_text("does not contain the required setting [api_key]")
    screenshot(page, f"locale-{tag}-add-model-failure")


def test_persian_mirrors_the_layout_and_keeps_ids_left_to_right(page: Page, base_url: str) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 1280
    page.goto(f"{base_url}/ui/")
    english = page.locator(".brand").bounding_box()
    _switch_to(page, base_url, "fa")
    page.goto(f"{base_url}/ui/")
    persian = page.locator(".brand").bounding_box()
    assert english is not None
    assert persian is not None
    assert english["x"] < width / 4, "in English the brand starts the header on the left"
    assert persian["x"] + persian["width"] > width * 3 / 4, "in Persian the brand starts the header on the right"
    target = page.locator("td.target").first
    assert target.evaluate("e => getComputedStyle(e).direction") == "ltr"
    assert page.locator("html").evaluate("e => getComputedStyle(e).direction") == "rtl"
    screenshot(page, "locale-fa-endpoints")


def test_the_language_follows_accept_language_until_one_is_chosen(page: Page, base_url: str) -> None:
    page.set_extra_http_headers({"Accept-Language": "ja-JP,ja;q=0.9,en;q=0.5"})
    page.goto(f"{base_url}/ui/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    with page.expect_navigation():
        page.locator("#locale-choice").select_option("zh-Hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("h1")).to_have_text(_t("zh-Hans", "Endpoints"))
