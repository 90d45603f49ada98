"""The frontier's per-URL memory, kept compact: how each article was found, and the articles
waiting to be requested. A big sitemap names every article at once, and all of them are
remembered until fetched: as a list of DiscoveredLink per URL and a (url, depth, meta) tuple
with its own dict per waiting article, that was ~0.9 KB per URL (issue 4)."""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterator
from typing import Any

from archive.discovery import DiscoveredLink

# One link, or several, in the form they are kept in. A link to the URL it is kept under is
# kept without its URL (the key's string, not another copy): as its bare source name
# ("sitemap") when that is all it says, as most of a sitemap's and all of a page's do, or as
# a tuple of its fields.
_Hints = tuple[str, str | None, str | None, tuple[str, ...], str | None]
_Kept = str | _Hints | DiscoveredLink
_Entry = _Kept | list[_Kept]


class FoundLinks:
    """Canonical URL -> the links that named it, in the order they were found (what reaches
    extraction and the WARC metadata record as its `discovered`). A dict of lists in all but
    its footprint: one link is kept alone, and a link that only names its source as that name."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def __contains__(self, canonical: object) -> bool:
        return canonical in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, canonical: str) -> list[DiscoveredLink]:
        return _links(canonical, self._entries[canonical])

    def get(self, canonical: str) -> list[DiscoveredLink]:
        entry = self._entries.get(canonical)
        return [] if entry is None else _links(canonical, entry)

    def pop(self, canonical: str) -> list[DiscoveredLink]:
        entry = self._entries.pop(canonical, None)
        return [] if entry is None else _links(canonical, entry)

    def add(self, canonical: str, link: DiscoveredLink) -> None:
        """Append a link (found last); the URL gets an entry if it had none."""
        kept = _kept(canonical, link)
        entry = self._entries.get(canonical)
        if entry is None:
            self._entries[canonical] = kept
        elif isinstance(entry, list):
            entry.append(kept)
        else:
            self._entries[canonical] = [entry, kept]

    def prepend(self, canonical: str, links: list[DiscoveredLink]) -> None:
        """Put links before the URL's own (found earlier, under another URL: a redirect's);
        the URL gets an entry if it had none."""
        self.put(canonical, [*links, *self.get(canonical)])

    def put(self, canonical: str, links: list[DiscoveredLink]) -> None:
        """The URL's links are these (an entry even if there are none)."""
        kept = [_kept(canonical, link) for link in links]
        self._entries[canonical] = kept[0] if len(kept) == 1 else kept

    def dated(self, canonical: str) -> Iterator[DiscoveredLink]:
        """The URL's links that may carry a date (a bare source name carries none)."""
        entry = self._entries.get(canonical)
        for kept in entry if isinstance(entry, list) else (entry,):
            if kept is not None and not isinstance(kept, str):
                yield _link(canonical, kept)


def _kept(canonical: str, link: DiscoveredLink) -> _Kept:
    if link.url != canonical:
        return link
    if link.title is None and link.published is None and not link.keywords and link.modified is None:
        return sys.intern(link.source)
    return link.source, link.title, link.published, link.keywords, link.modified


def _link(canonical: str, kept: _Kept) -> DiscoveredLink:
    if isinstance(kept, str):
        return DiscoveredLink(url=canonical, source=kept)
    if isinstance(kept, tuple):
        source, title, published, keywords, modified = kept
        return DiscoveredLink(url=canonical, source=source, title=title, published=published,
                              keywords=keywords, modified=modified)
    return kept


def _links(canonical: str, entry: _Entry) -> list[DiscoveredLink]:
    return [_link(canonical, kept) for kept in (entry if isinstance(entry, list) else (entry,))]


class ArticleQueue:
    """Articles waiting for their Request, each a (url, depth, meta) as it was put, taken from
    either end: the URL alone stands for its entry when its meta is the usual one (before
    discovery ends none; once decided on, {"canonical": url}), the depths kept beside."""

    def __init__(self, *, canonical_meta: bool) -> None:
        self._canonical_meta = canonical_meta
        self._urls: deque[str | tuple[str, dict[str, Any]]] = deque()
        self._depths: deque[int] = deque()

    def __len__(self) -> int:
        return len(self._urls)

    def __bool__(self) -> bool:
        return bool(self._urls)

    def append(self, url: str, depth: int, meta: dict[str, Any]) -> None:
        self._urls.append(url if meta == self._usual(url) else (url, meta))
        self._depths.append(depth)

    def last_url(self) -> str:
        last = self._urls[-1]
        return last if isinstance(last, str) else last[0]

    def pop(self) -> tuple[str, int, dict[str, Any]]:
        """The last one put."""
        return self._entry(self._urls.pop(), self._depths.pop())

    def popleft(self) -> tuple[str, int, dict[str, Any]]:
        """The first one put."""
        return self._entry(self._urls.popleft(), self._depths.popleft())

    def _entry(self, kept: str | tuple[str, dict[str, Any]], depth: int) -> tuple[str, int, dict[str, Any]]:
        if isinstance(kept, str):
            return kept, depth, self._usual(kept)
        return kept[0], depth, kept[1]

    def _usual(self, url: str) -> dict[str, Any]:
        return {"canonical": url} if self._canonical_meta else {}
