"""What the live crawl and a re-extraction from the WARC must decide the same way: the hints
extraction gets from discovery, the capture outcome an extraction status gives, and the URL a
page's rel=canonical moves its article to."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote_plus, urljoin, urlsplit

# The model module only: archive.extract pulls in the whole extractor, which neither the
# crawl process nor a plain index rebuild runs (importing it cost 0.7 s of CPU at each start).
from archive.extraction.model import ExtractionHints
from archive.urls import canonical_url as canonical_of
from archive.urls import without_credentials

logger = logging.getLogger(__name__)

# Extraction status -> capture outcome.
OUTCOME_BY_STATUS = {
    "ok": "article",
    "empty": "not_article",
    "not_article": "not_article",
    "timeout": "extraction_timeout",
    "error": "extraction_error",
}
# Outcomes of pages that went through extraction: what --reextract extracts again.
EXTRACTED_OUTCOMES = frozenset(OUTCOME_BY_STATUS.values())
# A directory's index file is the directory: "/index.html" is the home page, "/news/index.php"
# the news section (a removal sent there was taken for a move to a new URL).
_INDEX_FILE = re.compile(r"/(?:index|default)\.[a-z]{2,5}$", re.IGNORECASE)
# Words of a redirect's query that send the reader to sign in ("/?login", "/?action=sign-in"):
# a wall in front of the story, not the story taken down.
_SIGN_IN = re.compile(r"(?<![a-z])(?:log[-_ ]?[io]n|sign[-_ ]?in|auth|register|subscribe)(?![a-z])")


def outcome_for(status: str) -> str:
    return OUTCOME_BY_STATUS.get(status, "extraction_error")


def partial_content(content_range: str | None) -> str:
    """The reason a 206 answer's capture is `truncated`: we never ask for a range, yet a
    server or cache may send one, and its stub is only part of the page."""
    what = f"Content-Range {content_range}" if content_range else "no Content-Range"
    return f"HTTP 206: only part of the page was sent ({what})"


def redirect_reason(target: str) -> str:
    """The reason of a redirect's capture (a hop the crawl followed, on the site)."""
    return f"redirects to {target}"


def redirect_takes_down(url: str, reason: str | None) -> bool:
    """Whether a redirect's capture (its reason as redirect_reason wrote it) is a story taken
    down: sent to the home page or to a section above it (/news/world/story -> /news/world),
    as many sites remove a story. A move to a new URL, or to its own with a slash, is not, nor
    a login wall on the home page."""
    if not reason or not reason.startswith(redirect_reason("")):
        return False
    story, target = urlsplit(url), urlsplit(reason.removeprefix(redirect_reason("")))

    def host(name: str | None) -> str:
        return (name or "").lower().removeprefix("www.")

    if host(story.hostname) != host(target.hostname):
        return False
    above, path = _INDEX_FILE.sub("", target.path).rstrip("/"), story.path.rstrip("/")
    return path.startswith(above + "/") and not _wall(target.query, path)


def _wall(query: str, path: str) -> bool:
    """Whether a redirect's query makes it a wall (a login, a paywall), not a removal: it says
    where to send the reader back ("/?redirect=%2Fnews%2Fstory") or asks to sign in
    ("/?login"). A home page with another query ("/?removed=1") is still a removal."""
    said = unquote_plus(unquote_plus(query)).lower()
    back = re.search(re.escape(path.lower()) + r"(?![\w.~-])", said)  # not /news/storyline
    return back is not None or _SIGN_IN.search(said) is not None


def hints_from_discovery(
    discovered: Sequence[Mapping[str, Any]], last_modified: str | None, fetched_at: str | None
) -> ExtractionHints:
    """What feeds and news sitemaps said about a URL before it was fetched. A plain sitemap's
    lastmod is when the page last changed, not when it was published: not a date hint."""
    feed = next((d for d in discovered if d.get("source") == "feed" and d.get("published")), None)
    news = next((d for d in discovered if d.get("source") == "news_sitemap"), None)
    titled = next((d for d in discovered if d.get("title")), None)
    return ExtractionHints(
        feed_published=feed["published"] if feed else None,
        sitemap_published=news.get("published") if news else None,
        http_last_modified=last_modified,
        feed_title=titled["title"] if titled else None,
        fetched_at=fetched_at,
    )


def discovered_of(metadata: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every discovery of a capture's URL as its metadata record keeps them (older records
    kept only the first, under "discovery")."""
    if isinstance(metadata.get("discovered"), list):
        return [d for d in metadata["discovered"] if isinstance(d, Mapping)]
    first = metadata.get("discovery")
    return [first] if isinstance(first, Mapping) else []


def adopted_canonical(url: str, canonical_url: str, declared: str,
                      is_article: Callable[[str], bool],
                      refused: Callable[[str], None] | None = None) -> str | None:
    """The URL an article fetched as `url` (stored under `canonical_url`) is stored under
    when its page declares rel=canonical `declared`: that URL when it is on the same host and
    an article's URL by the site's patterns (the URL it moved from becomes an alias); None to
    keep it where it is. Another host's claim is not trusted, nor a claim to the home or a
    section page: two stories whose templates both declared "/" were stored as two versions
    of one. Why a claim is not taken goes to `refused` (logged without it: the crawl's log;
    re-extraction says it after its progress bar)."""
    say = refused or logger.warning
    try:
        target = canonical_of(urljoin(url, declared))
    except ValueError as exc:  # what urlsplit cannot read (extract_article checks its own output)
        say(f"{url} declares rel=canonical {declared!r}, which is no URL ({exc}): kept as fetched")
        return None
    if target == canonical_url or urlsplit(target).netloc != urlsplit(canonical_url).netloc:
        return None
    if not is_article(target):
        say(f"{url} declares rel=canonical {target}, which is no article's URL: kept as fetched")
        return None
    return target


def aliases_for(
    outcome: str, canonical_url: str, known: Sequence[str], discovered: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Every other URL an article is known by: `known` (the rel=canonical it moved from) and
    each URL it was discovered under that differs from its canonical one (utm_*, fbclid,
    AMP...). Only an article has aliases."""
    if outcome != "article":
        return []
    seen = {*known, *(d["url"] for d in discovered if isinstance(d.get("url"), str) and d["url"])}
    # Records written before DiscoveredLink dropped them may hold a link's credentials.
    return sorted({_clean(url) for url in seen} - {canonical_url})


def _clean(url: str) -> str:
    try:
        return without_credentials(url)
    except ValueError:
        return url
