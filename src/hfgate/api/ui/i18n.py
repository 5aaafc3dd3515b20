"""The web page's languages: which locale a request gets, and its message catalog.

Catalogs are gettext ``.po`` files under ``hfgate/web/locales/<locale>/LC_MESSAGES/messages.po``,
compiled in memory on first use (Babel), so no generated ``.mo`` file lives in the source tree.
English is the source language: its "catalog" is the message ids themselves.

A request's locale is, in order: the ``hfgate_locale`` cookie the switcher sets, the best match for
``Accept-Language``, English.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from io import BytesIO

from babel import Locale
from babel.dates import format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from hfgate.services.spec import N_ as N_  # the marker, shared with the settings the page shows

COOKIE = "hfgate_locale"
DEFAULT = "en"


@dataclass(frozen=True, slots=True)
class PageLocale:
    """One language the page speaks: its BCP 47 tag, Babel's name for it, and its script direction."""

    tag: str
    babel_name: str
    native_name: str

    @property
    def direction(self) -> str:
        """``rtl`` for right-to-left scripts (Persian), else ``ltr``; from CLDR, not a list of our own."""
        return "rtl" if Locale.parse(self.babel_name).character_order == "right-to-left" else "ltr"


LOCALES: dict[str, PageLocale] = {
    loc.tag: loc
    for loc in (
        PageLocale(tag="en", babel_name="en", native_name="English"),
        PageLocale(tag="zh-Hans", babel_name="zh_Hans", native_name="简体中文"),
        PageLocale(tag="ja", babel_name="ja", native_name="日本語"),
        PageLocale(tag="fa", babel_name="fa", native_name="فارسی"),
    )
}


def choose_locale(*, cookie: str | None, accept_language: str | None) -> PageLocale:
    """The locale for a request: the cookie's if it names one we have, else ``Accept-Language``'s best.

    Example:
        >>> choose_locale(cookie=None, accept_language="fa-IR,fa;q=0.9,en;q=0.5").tag
        'fa'
    """
    if cookie in LOCALES:
        return LOCALES[cookie]
    for wanted in _by_preference(accept_language or ""):
        found = _match(wanted)
        if found is not None:
            return found
    return LOCALES[DEFAULT]


# Simplified Chinese by its region tags too; zh-TW / zh-Hant (Traditional) are not what we have.
_ALIASES = {"zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "zh-hans": "zh-Hans"}
_BY_LOWER = {tag.lower(): loc for tag, loc in LOCALES.items()}


def _by_preference(header: str) -> list[str]:
    """The tags of an ``Accept-Language`` header, most wanted first (by ``q``, then by order)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, index, tag.lower()))
    return [tag for _, _, tag in sorted(ranked)]


def _match(wanted: str) -> PageLocale | None:
    """Our locale for one tag, trying ``zh-hans-cn``, then ``zh-hans``, then ``zh``."""
    parts = wanted.split("-")
    for end in range(len(parts), 0, -1):
        candidate = "-".join(parts[:end])
        if candidate in ("zh-tw", "zh-hk", "zh-mo", "zh-hant"):
            return None
        alias = _ALIASES.get(candidate)
        found = LOCALES[alias] if alias else _BY_LOWER.get(candidate)
        if found is not None:
            return found
    return None


@cache
def translations(tag: str) -> gettext.NullTranslations:
    """The compiled catalog of locale ``tag`` (English: the identity)."""
    if tag == DEFAULT:
        return gettext.NullTranslations()
    with catalog_path(tag).open("rb") as source:
        catalog = read_po(source, locale=LOCALES[tag].babel_name)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def catalog_path(tag: str) -> Traversable:
    """Where the ``.po`` file of ``tag`` is."""
    return files("hfgate") / "web" / "locales" / LOCALES[tag].babel_name / "LC_MESSAGES" / "messages.po"


@dataclass(frozen=True, slots=True)
class PageText:
    """What a page needs to speak one locale: its messages, and numbers and times in its own style.

    Example:
        >>> text = PageText(LOCALES["fa"])
        >>> text.number(384)
        '۳۸۴'
    """

    locale: PageLocale

    def gettext(self, message: str) -> str:
        return translations(self.locale.tag).gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return translations(self.locale.tag).ngettext(singular, plural, count)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale.babel_name, numbering_system="default")

    def time(self, when: datetime) -> str:
        """A time of day in UTC, as the locale writes it (``14:05:09 UTC``, ``۱۴:۰۵:۰۹ UTC``…)."""
        return format_time(when, format="medium", tzinfo=UTC, locale=self.locale.babel_name) + " UTC"

    def moment(self, when: datetime) -> str:
        """A date and time in UTC, as the locale writes it."""
        return format_datetime(when, format="medium", tzinfo=UTC, locale=self.locale.babel_name) + " UTC"
