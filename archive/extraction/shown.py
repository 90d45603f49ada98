"""Dates and bylines as the page prints them, and which printed words are a person's name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class ShownDate:
    """A date printed on the page, how far from the headline, and whether it is labelled an update."""

    value: str
    updated: bool
    distance: int
    segments: list[str] = field(default_factory=list)  # the line's texts, as printed
    # The texts of its links to anything but a person's page (categories, tags, sections),
    # and of the categories and tags it prints without a link.
    other_links: list[str] = field(default_factory=list)
    # What the date shows of the order its page writes numeric dates in (textdates.TextDate).
    other_reading: str | None = None
    day_first: bool | None = None
    numeric: bool = False


@dataclass
class ShownByline:
    """A byline printed on the page, the names its links carry, and its distance to the headline."""

    text: str
    distance: int
    linked_names: list[str] = field(default_factory=list)
    labelled: bool = False  # "By Jane Doe", "Author: Jane Doe": the page says it names the author


# What separates the parts of a line: "Jane Doe | Senior Writer | July 2, 2025".
_SEPARATORS = re.compile(r"\s[|•·—–]\s|[|•·]")
_LEADING_BY = re.compile(r"^(?:by|von|par|por|door|av|przez)\s*:?\s+(?=(?-i:[A-ZÀ-ÞА-Я]))", re.I)
_NAME_WORD = re.compile(r"^(?:[A-ZÀ-ÞА-ЯČŠŽŁ][\w'’.-]*|van|von|de|der|den|da|di|du|la|le|del|bin)$")
_NOT_NAME_WORDS = frozenset(
    {"updated", "published", "posted", "share", "read", "min", "minutes", "by", "and", "on",
     "last", "modified", "reviewed", "edited", "written", "home", "news", "blog", "menu"}
)


def names_beside_dates(dates: list[ShownDate], max_distance: int) -> list[ShownByline]:
    """Person-like names printed in the same short line as a date beside the headline.

    Bylines without any markup ("<div><p>Jane Doe</p><p>Aug 4, 2025</p></div>") are
    recognised by sitting next to the date the page prints for the article.
    """
    found = []
    for shown in dates:
        if shown.distance > max_distance:
            break
        for piece in _pieces(shown):
            label = _LEADING_BY.match(piece)
            name = piece[label.end():] if label else piece
            last = name.rsplit(maxsplit=1)[-1] if name.strip() else ""
            if len(last) <= 3 and last.islower():
                # "Jane Doe in <a>Travel</a>": the word leading to the next part is no name's.
                name = name[: name.rindex(last)]
            if looks_like_name(name):
                found.append(ShownByline(name, shown.distance + 1, labelled=label is not None))
    return found


def looks_like_name(text: str) -> bool:
    """Two to four capitalised words, no digits, no label: "Jane Doe", "Ludwig van Beethoven"."""
    words = text.split()
    if not 2 <= len(words) <= 4 or any(ch.isdigit() for ch in text):
        return False
    if any(w.lower().strip(".,") in _NOT_NAME_WORDS for w in words):
        return False
    return all(_NAME_WORD.match(w) for w in words) and words[0][0].isupper()


def _pieces(shown: ShownDate) -> Iterator[str]:
    """The parts of a date's line that may be a name: not its links, not the date itself."""
    for segment in shown.segments:
        if any(segment in other for other in shown.other_links):
            continue  # a link to a category or section: "Living Healthy", "Tents"
        # "Jane Doe | Senior Writer | July 2, 2025": the parts before the date.
        for piece in _SEPARATORS.split(segment):
            if any(ch.isdigit() for ch in piece):
                break
            yield piece.strip()
