"""Every word of the page is translated in every locale, and no catalog keeps a word no longer used."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from hfgate.api.ui.i18n import COOKIE, LOCALES, choose_locale, translations
from hfgate.api.ui.script_messages import SCRIPT_MESSAGES

ROOT = Path(__file__).resolve().parents[3]
STATIC = ROOT / "src" / "hfgate" / "web" / "static"
TRANSLATED = [tag for tag in LOCALES if tag != "en"]
# Names that stay in Latin letters in every language: products, protocols and file formats.
LATIN_NAMES = {"hfgate", "Hugging", "Face", "Hub", "TEI", "TGI", "URL", "API", "Markdown", "Cookie", "Top", "T5", "UTC"}
LATIN_NAMES |= {"JSON", "OpenAI"}
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}|<[^>]+>")


def extracted_messages() -> set[str | tuple[str, ...]]:
    """The message ids in the templates and the page's Python code, as ``pybabel extract`` finds them."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(str(ROOT), method_map, options_map)
    return {message if isinstance(message, str) else tuple(message) for _, _, message, _, _ in found}


def catalog_messages(tag: str) -> dict[str | tuple[str, ...], object]:
    with translations_file(tag).open("rb") as source:
        catalog = read_po(source, locale=LOCALES[tag].babel_name)
    return {message.id: message for message in catalog if message.id}


def translations_file(tag: str) -> Path:
    return ROOT / "src" / "hfgate" / "web" / "locales" / LOCALES[tag].babel_name / "LC_MESSAGES" / "messages.po"


@pytest.mark.parametrize("tag", TRANSLATED)
def test_every_message_of_the_page_has_a_translation_and_no_unused_entry_remains(tag: str) -> None:
    wanted = extracted_messages()
    catalog = catalog_messages(tag)
    missing = sorted(map(str, wanted - set(catalog)))
    unused = sorted(map(str, set(catalog) - wanted))
    assert not missing, f"{tag}: messages with no entry (run `make translations`, then translate): {missing}"
    assert not unused, f"{tag}: entries no longer used by any template or script (remove them): {unused}"
    empty = [str(key) for key, message in catalog.items() if not all(_forms(message)) or message.fuzzy]  # type: ignore[attr-defined]
    assert not empty, f"{tag}: empty or fuzzy translations: {empty}"


@pytest.mark.parametrize("tag", TRANSLATED)
def test_translations_keep_every_placeholder_and_tag_of_the_original(tag: str) -> None:
    for key, message in catalog_messages(tag).items():
        original = key if isinstance(key, str) else key[-1]
        for form in _forms(message):
            assert sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(original)), (tag, original, form)


def _forms(message: object) -> tuple[str, ...]:
    string = message.string  # type: ignore[attr-defined]
    return (string,) if isinstance(string, str) else tuple(string)


def test_every_key_the_scripts_use_is_in_the_catalog_and_every_catalog_key_is_used() -> None:
    scripts = "\n".join(path.read_text() for path in STATIC.glob("*.js"))
    used = set(re.findall(r"\b(?:t|tNodes)\(\"(\w+)\"", scripts))
    assert used - set(SCRIPT_MESSAGES) == set(), "scripts use keys script_messages.py lacks"
    assert set(SCRIPT_MESSAGES) - used == set(), "script_messages.py has keys no script uses"


def test_the_scripts_hold_no_words_of_their_own() -> None:
    # Text shown by a script comes from t(); a string literal with two or more words would be English.
    for path in STATIC.glob("*.js"):
        for literal in re.findall(r"\"([^\"\n]*)\"|`([^`\n]*)`", path.read_text()):
            text = re.sub(r"\$\{[^}]*\}", "", "".join(literal))
            assert not re.search(r"[A-Z][a-z]+ [a-z]+ [a-z]+", text), f"{path.name}: English text {text!r}"


@pytest.mark.parametrize(
    ("cookie", "accept", "expected"),
    [
        (None, None, "en"),
        (None, "fa-IR,fa;q=0.9,en;q=0.5", "fa"),
        (None, "zh-CN,zh;q=0.9", "zh-Hans"),
        (None, "zh-Hans-CN", "zh-Hans"),
        (None, "ja-JP,ja;q=0.8", "ja"),
        (None, "de-DE,de;q=0.9", "en"),
        (None, "de;q=1, ja;q=0.5", "ja"),
        ("fa", "ja", "fa"),
        ("xx", "ja", "ja"),
    ],
)
def test_the_locale_comes_from_the_cookie_then_accept_language_then_english(
    cookie: str | None, accept: str | None, expected: str
) -> None:
    assert choose_locale(cookie=cookie, accept_language=accept).tag == expected


def test_persian_is_right_to_left_and_the_others_left_to_right() -> None:
    assert {tag: loc.direction for tag, loc in LOCALES.items()} == {
        "en": "ltr",
        "zh-Hans": "ltr",
        "ja": "ltr",
        "fa": "rtl",
    }


def test_the_compiled_catalog_translates_in_each_locale() -> None:
    assert translations("ja").gettext("Add a model") == "モデルを追加"
    assert translations("zh-Hans").gettext("Inference Endpoint, or a TEI / TGI server").startswith("推理端点")
    assert translations("fa").gettext("Inference Endpoint, or a TEI / TGI server").startswith("نقطه پایانی استنتاج")


class _VisibleText(HTMLParser):
    """Text a reader sees, leaving out what is meant to stay as it is (code, names, the API's reasons)."""

    SKIPPED = frozenset({"script", "style", "code", "pre", "datalist", "title"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.words: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"input", "meta", "link", "br", "img", "source"}:
            self._attribute_text(attrs)
            return
        attributes = dict(attrs)
        kept = tag in self.SKIPPED or attributes.get("translate") == "no" or attributes.get("lang") == "en"
        self.stack.append(kept or (bool(self.stack) and self.stack[-1]))
        if not self.stack[-1]:
            self._attribute_text(attrs)

    def _attribute_text(self, attrs: list[tuple[str, str | None]]) -> None:
        if ("dir", "ltr") in attrs:  # a field for ids and URLs: its example is one
            return
        for name, value in attrs:
            if name in {"title", "placeholder", "aria-label", "data-label", "data-locator-label"} and value:
                self.words += re.findall(r"[A-Za-z]{3,}", value)

    def handle_endtag(self, tag: str) -> None:
        if self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.words += re.findall(r"[A-Za-z]{3,}", data)


@pytest.mark.parametrize("tag", TRANSLATED)
@pytest.mark.parametrize(
    "path",
    [
        "/ui/",
        "/ui/new",
        "/ui/login",
        "/ui/endpoints/.all-minilm-l6-v2",
        "/ui/endpoints/.all-minilm-l6-v2/playground",
        "/ui/endpoints/.smollm2-135m-instruct/playground",
        "/ui/endpoints/nope",
    ],
)
def test_pages_show_no_untranslated_english(tag: str, path: str, base_url: str) -> None:
    response = httpx.get(f"{base_url}{path}", cookies={COOKIE: tag}, timeout=30)
    assert response.headers["content-language"] == tag
    parser = _VisibleText()
    parser.feed(response.text)
    english = sorted({word for word in parser.words if word not in LATIN_NAMES and not word.startswith("hf_")})
    assert not english, f"{tag} {path}: untranslated words {english}"
