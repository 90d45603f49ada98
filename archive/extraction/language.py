"""The language a page declares, in one spelling per language: "en" for "en-GB", "EN",
"eng" or "English" (CLDR's codes and names, through Babel)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from babel import Locale
from babel.core import UnknownLocaleError, get_global

from archive.extraction.metadata import ld_value
from archive.extraction.page import Page

# Tags that name no language (BCP 47: undetermined, no linguistic content, several, missing).
_NO_LANGUAGE = frozenset({"und", "zxx", "mul", "mis"})
_CODE = re.compile(r"[a-z]{2,3}")
_SUBTAG_END = re.compile(r"[-_,;\s]")


@functools.cache
def _two_letter_codes() -> dict[str, str]:
    """Other codes of a language that has a two-letter one, from CLDR's aliases (through
    Babel): ISO 639-2/B and /T and 639-3 ("eng", "ger", "deu", "cmn"), and the codes ISO
    withdrew that Java's Locale still writes ("iw", "in", "ji")."""
    aliases: Mapping[str, str | None] = get_global("language_aliases")
    return {code: alias for code, alias in aliases.items()
            if alias and len(alias) == 2 and alias.isalpha()}


@functools.cache
def _codes_by_english_name() -> dict[str, str]:
    """ "english" -> "en": <meta name="language" content="English"> names a language."""
    names: dict[str, str] = {}
    for code, name in Locale("en").languages.items():
        names.setdefault(name.lower(), code.split("_")[0])
    return names


@functools.cache
def _codes_by_own_name() -> dict[str, str]:
    """ "deutsch" -> "de", "français" -> "fr": a language named in itself, as sites in it write
    <meta name="language" content="Deutsch">. Read from OWN_NAMES, written by own_names_from_cldr:
    building the table from CLDR's data of each language took 0.26 s of CPU in every
    extraction worker (and each one that replaces a worker killed by a page's timeout) that
    met one such name. tests/test_extract_metadata.py checks the file against Babel's data."""
    loaded = json.loads(OWN_NAMES.read_text(encoding="utf-8"))
    return {name: code for name, code in loaded.items() if isinstance(code, str)}


OWN_NAMES = Path(__file__).with_name("language_names.json")


def own_names_from_cldr() -> dict[str, str]:
    """The table of _codes_by_own_name, from CLDR's data through Babel. After a Babel upgrade:
    `python -c "from archive.extraction.language import write_own_names; write_own_names()"`."""
    names: dict[str, str] = {}
    for code in Locale("en").languages:
        if not isinstance(code, str) or len(code) != 2:
            continue
        try:
            own = Locale.parse(code).get_display_name(code)
        except (UnknownLocaleError, ValueError):  # a code CLDR names but has no data for ("ae")
            continue
        if own:
            names.setdefault(own.lower(), code)
    return names


def write_own_names() -> None:
    OWN_NAMES.write_text(json.dumps(own_names_from_cldr(), ensure_ascii=False, indent=0, sort_keys=True)
                         + "\n", encoding="utf-8")


def _declared_tags(page: Page) -> Iterator[str]:
    yield page.tree.get("lang") or ""
    yield page.tree.get("xml:lang") or ""
    for name in ("content-language", "og:locale", "language", "dc.language"):
        yield from page.meta.get(name, ())
    value = ld_value(page, "inLanguage")  # a tag, a list of them, or a Language object
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            item = item.get("alternateName") or item.get("name")
        if isinstance(item, str):
            yield item


def _locale(tag: str) -> str | None:
    """A declared tag, lower case, its language in one spelling ("en-gb" for "en-GB" and
    "eng-GB", "en" for "English"); None when it names no language."""
    tag = " ".join(tag.split()).lower()
    primary = _SUBTAG_END.split(tag, maxsplit=1)[0]
    if not _CODE.fullmatch(primary):
        code = _codes_by_english_name().get(tag) or _codes_by_own_name().get(tag)
        return None if code is None or code in _NO_LANGUAGE else code
    if primary in _NO_LANGUAGE:
        return None
    return _two_letter_codes().get(primary, primary) + tag[len(primary):]


def _primary_language(locale: str) -> str:
    return _SUBTAG_END.split(locale, maxsplit=1)[0]


def declared_locale(page: Page) -> str | None:
    """The first language tag the page declares that names a language, its language spelled
    as find_language spells it ("en-gb" for "en-GB" or "eng-GB"), or None. A template's
    unfilled lang="{{ lang }}" or its lang="und" hid the language its meta tags or JSON-LD
    declare."""
    return next(filter(None, map(_locale, _declared_tags(page))), None)


def find_language(page: Page) -> str | None:
    """The primary language subtag, one spelling per language: "en" for "en-GB", "EN",
    "en_us", "eng" or "English"."""
    locale = declared_locale(page)
    return _primary_language(locale) if locale else None
