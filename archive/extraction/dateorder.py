"""Which order a page writes its numeric dates in: "03/10/2023" is 10 March or 3 October."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from archive.extraction.datevalues import normalise_date
from archive.extraction.language import declared_locale
from archive.extraction.page import Page
from archive.extraction.shown import ShownDate


def month_first(page: Page) -> bool:
    """Whether the page's language writes numeric dates month first."""
    # 03/04/2024 is March 4 in American English and 3 April nearly everywhere else.
    # A page that declares its language only in a meta tag or JSON-LD ("og:locale" "fr_FR")
    # is as European as one that writes it on <html>: its 03/12/2025 was read as 12 March.
    lang = (declared_locale(page) or "en-us").replace("_", "-")
    return lang in ("en", "en-us")


def read_in_page_order(
    page: Page, shown: list[ShownDate], markup_dates: Callable[[], Iterable[object]]
) -> tuple[bool, list[ShownDate]]:
    """Whether the page writes numeric dates month first, and its printed dates read so.

    The page's own dates tell before its language does. First a reading of its ambiguous
    dates that it states elsewhere without doubt (`markup_dates`: its JSON-LD, meta tags,
    <time datetime>s and URL; its dates written with a month's name: a listing of this very
    post); then the order of its numeric dates that show one ("13/10/2023"); then, when its
    language is English of no stated region (or none is declared), the order of the dates it
    writes with a month's name ("3 October 2023"). Decided only when a printed date is
    ambiguous: most pages print none, and are read in their language's order.
    """
    language = month_first(page)
    ambiguous = [d for d in shown if d.other_reading]
    if not ambiguous:
        return language, shown
    stated = {
        value[:10] for raw in markup_dates() if isinstance(raw, str) and (value := normalise_date(raw))
    }
    stated.update(d.value for d in shown if not d.other_reading)
    votes = sum((d.value in stated) - (d.other_reading in stated) for d in ambiguous)
    if votes:
        order = language if votes > 0 else not language
    else:
        order = _written_order(shown, names_count=not _language_tells_order(page), default=language)
    if order == language:
        return order, shown
    return order, [
        replace(d, value=d.other_reading, other_reading=d.value) if d.other_reading else d
        for d in shown
    ]


def _written_order(shown: list[ShownDate], *, names_count: bool, default: bool) -> bool:
    """Month first or not, as most of the printed dates that show an order write it: by their
    numbers, else (when `names_count`) by a month's name; `default` when they are even."""
    for numeric in (True, False) if names_count else (True,):
        day_first = [d.day_first for d in shown if d.numeric == numeric and d.day_first is not None]
        if day_first.count(True) != day_first.count(False):
            return day_first.count(True) < day_first.count(False)
    return default


def _language_tells_order(page: Page) -> bool:
    """Whether the page's declared language fixes how it writes dates: any but English of no
    stated region ("en" is American or British English alike)."""
    locale = declared_locale(page)
    return locale is not None and locale != "en"
