"""The frontier's compact per-URL memory (crawler.spiders.found) gives back exactly what a dict
of lists and a deque of (url, depth, meta) tuples gave, at a fraction of the bytes (issue 4)."""

from __future__ import annotations

import sys
import tracemalloc
from collections import deque
from typing import Any

from archive.discovery import DiscoveredLink
from crawler.spiders.found import ArticleQueue, FoundLinks

BASE = "http://127.0.0.1:8799"


def test_found_links_give_back_every_link_as_found_in_order() -> None:
    story, other = BASE + "/news/a", BASE + "/news/b"
    links = [
        DiscoveredLink(url=story, source="sitemap"),  # kept as its source name
        DiscoveredLink(url=story + "?utm_source=feed", source="feed", title="Harbour"),  # an alias
        DiscoveredLink(url=story, source="news_sitemap", title="Harbour plan",
                       published="2026-11-20T10:00:00+00:00", keywords=("harbour", "ferry"),
                       modified="2026-11-21"),
        DiscoveredLink(url=story, source="page"),
    ]
    found, plain = FoundLinks(), {}
    for link in links:
        found.add(story, link)
        plain.setdefault(story, []).append(link)
    assert found[story] == found.get(story) == plain[story]
    assert [link.to_dict() for link in found[story]] == [link.to_dict() for link in links]
    # Only the links that may carry a date are looked at for `since` and revisits.
    assert list(found.dated(story)) == links[1:3]
    # A redirect's links go first under its target; a URL with none still has an entry.
    found.prepend(other, found.pop(story))
    assert found.get(other) == links and story not in found
    found.put(story, [])
    assert story in found and found[story] == [] and found.get(BASE + "/none") == []
    # Moved under another URL, a bare link keeps the URL it named.
    found.put(story, [DiscoveredLink(url=other, source="redirect")])
    assert found.pop(story) == [DiscoveredLink(url=other, source="redirect")]


def test_article_queue_gives_back_what_was_put_from_either_end() -> None:
    queue, plain = ArticleQueue(canonical_meta=True), deque[tuple[str, int, dict[str, Any]]]()
    entries = [(f"{BASE}/news/{n}", n % 3, {"canonical": f"{BASE}/news/{n}"}) for n in range(5)]
    entries.insert(2, (BASE + "/news/moved", 4, {"canonical": BASE + "/news/moved", "cookie_check": True}))
    for url, depth, meta in entries:
        queue.append(url, depth, meta)
        plain.append((url, depth, meta))
    assert len(queue) == len(plain) and queue.last_url() == plain[-1][0]
    assert queue.pop() == plain.pop() and queue.popleft() == plain.popleft()
    while queue:
        assert queue.pop() == plain.pop()
    assert not plain
    waiting = ArticleQueue(canonical_meta=False)
    waiting.append(BASE + "/news/1", 1, {})
    waiting.append(BASE + "/news/2", 2, {"redirect_chain": [BASE + "/news/0"]})
    assert waiting.popleft() == (BASE + "/news/1", 1, {})
    assert waiting.popleft() == (BASE + "/news/2", 2, {"redirect_chain": [BASE + "/news/0"]})


def test_a_sitemaps_article_costs_a_few_bytes_beside_its_url() -> None:
    urls = [sys.intern(f"{BASE}/article/{n:05d}") for n in range(5000)]  # held by the dedup set too
    found, ready = FoundLinks(), ArticleQueue(canonical_meta=True)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for url in urls:
            found.add(url, DiscoveredLink(url=url, source="sitemap"))
            ready.append(url, 1, {"canonical": url})
        per_url = (tracemalloc.get_traced_memory()[0] - before) / len(urls)
    finally:
        tracemalloc.stop()
    # A list of one DiscoveredLink per URL and a tuple with its own dict: ~600 bytes.
    assert per_url < 120
