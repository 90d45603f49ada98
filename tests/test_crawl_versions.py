"""Repeat crawls of a site whose articles change between runs: what is fetched again, and
the versions the index keeps."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.config import load_site
from archive.discovery import DiscoveredLink, parse_feed
from crawler.spiders.frontier import Frontier
from tests.conftest import ROOT
from tests.test_crawl_frontier import _Server, article, crawl, server, site, sitemap  # noqa: F401

__all__ = ["server"]  # the fixture, used by name


def versions(index: Path) -> dict[str, int]:
    with closing(sqlite3.connect(index)) as db:
        return {url.rsplit("/", 1)[1]: n
                for url, n in db.execute("select canonical_url, versions from articles")}


def test_an_article_the_sitemap_says_changed_since_its_fetch_is_fetched_again(
    server: _Server, tmp_path: Path
) -> None:
    # Without revisit_after an archived article was never fetched again, even when the
    # sitemap's lastmod said it had changed since: its correction was never archived.
    port = server.server_address[1]
    before = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    server.routes = {
        "/sitemap.xml": (200, sitemap(port, {"/news/corrected": before, "/news/same": before}), []),
        "/news/corrected": (200, article("Harbour plan"), []),
        "/news/same": (200, article("Market day"), []),
    }
    site(tmp_path, server, sitemaps="['/sitemap.xml']")
    crawl(tmp_path)
    later = datetime.now(UTC).isoformat()  # after the first crawl, not ahead of the clock
    server.routes.update({
        "/sitemap.xml": (200, sitemap(port, {"/news/corrected": later, "/news/same": before}), []),
        "/news/corrected": (200, article("Harbour plan, corrected"), []),
    })
    result = crawl(tmp_path)
    assert server.hits.count("/news/corrected") == 2
    assert server.hits.count("/news/same") == 1
    assert versions(result.index) == {"corrected": 2, "same": 1}
    assert result.stats()["newsarchive/already_archived"] == 1


def test_a_later_link_dating_an_archived_article_after_its_fetch_has_it_fetched() -> None:
    # Feeds and sitemaps are read in any order: the feed's older date came first, and the
    # sitemap's newer lastmod must still count.
    url = "http://127.0.0.1:8765/news/a"
    frontier = Frontier(load_site(ROOT / "config" / "sites" / "demo.toml"), "test",
                        archived={url: "2026-11-28T10:00:00.000000+00:00"})

    def verdict(source: str, published: str | None = None) -> str:
        found, verdict = frontier.article_verdict(DiscoveredLink(url, source, published=published))
        assert found == url
        return verdict

    assert verdict("feed", "2026-11-28T09:00:00+00:00") == "already_archived"
    assert verdict("page") == "duplicate"
    # 09:30 UTC: before the fetch, though after it in its own zone.
    assert verdict("sitemap", "2026-11-28T11:30:00+02:00") == "duplicate"
    assert verdict("sitemap", "2026-11-28T13:00:00+02:00") == "changed_after_skip"
    assert verdict("sitemap", "2026-11-29") == "duplicate"  # requested already


def test_an_article_the_sitemap_dates_in_the_future_is_not_fetched_on_every_run(
    server: _Server, tmp_path: Path
) -> None:
    # A lastmod still to come (a typo'd 2099, a wrong clock, local time labelled UTC) is after
    # every fetch: the article was fetched and archived again on every run.
    port = server.server_address[1]
    server.routes = {
        "/sitemap.xml": (200, sitemap(port, {"/news/ahead": "2099-01-01T00:00:00Z"}), []),
        "/news/ahead": (200, article("Harbour plan"), []),
    }
    site(tmp_path, server, sitemaps="['/sitemap.xml']")
    crawl(tmp_path)
    result = crawl(tmp_path)
    assert server.hits.count("/news/ahead") == 1
    assert result.stats()["newsarchive/already_archived"] == 1


def test_a_link_date_counts_once_the_clock_has_passed_it() -> None:
    url = "http://127.0.0.1:8765/news/a"
    fetched = datetime.now(UTC) - timedelta(hours=2)

    def verdict(lastmod: datetime) -> str:
        frontier = Frontier(load_site(ROOT / "config" / "sites" / "demo.toml"), "test",
                            archived={url: fetched.isoformat()})
        return frontier.article_verdict(DiscoveredLink(url, "sitemap", published=lastmod.isoformat()))[1]

    assert verdict(fetched + timedelta(hours=1)) == "changed"
    assert verdict(datetime.now(UTC) + timedelta(hours=3)) == "already_archived"


def test_an_atom_entrys_updated_after_the_fetch_has_it_fetched_again() -> None:
    # Atom gives <published> first: its <updated>, the feed's word that the entry changed,
    # was read only when there was no <published>.
    url = "http://127.0.0.1:8765/news/a"
    frontier = Frontier(load_site(ROOT / "config" / "sites" / "demo.toml"), "test",
                        archived={url: "2026-11-28T10:00:00.000000+00:00"})
    atom = (f'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="{url}"/>'
            "<published>2026-11-28T09:00:00Z</published><updated>2026-11-28T11:00:00Z</updated>"
            "</entry></feed>").encode()
    (link,) = parse_feed(atom, url)
    assert frontier.article_verdict(link) == (url, "changed")


def test_a_changed_article_the_sitemap_lists_under_its_old_redirecting_url_is_fetched_again(
    server: _Server, tmp_path: Path
) -> None:
    # The sitemap's newer lastmod had the old URL fetched again, but its date stayed with the
    # old URL: the redirect's target was taken as already archived and not fetched.
    port = server.server_address[1]
    before = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    moved = (301, b"", [("Location", f"http://127.0.0.1:{port}/news/new-name")])
    server.routes = {
        "/sitemap.xml": (200, sitemap(port, {"/news/old-name": before}), []),
        "/news/old-name": moved,
        "/news/new-name": (200, article("Harbour plan"), []),
    }
    site(tmp_path, server, sitemaps="['/sitemap.xml']")
    crawl(tmp_path)
    later = datetime.now(UTC).isoformat()  # after the first crawl, not ahead of the clock
    server.routes.update({
        "/sitemap.xml": (200, sitemap(port, {"/news/old-name": later}), []),
        "/news/new-name": (200, article("Harbour plan, corrected"), []),
    })
    result = crawl(tmp_path)
    assert server.hits.count("/news/new-name") == 2
    assert versions(result.index) == {"new-name": 2}


def test_a_sitemap_stamping_every_entry_with_the_time_of_the_request_dates_none_of_them(
    server: _Server, tmp_path: Path
) -> None:
    # Some sitemap generators give every entry the time the file was made as its lastmod.
    # Each run then had every archived article fetched again as "changed", and a page that
    # states no date took that time as its publication date.
    port = server.server_address[1]
    paths = [f"/news/story-{letter}" for letter in "abcdefghijkl"]
    server.routes = {path: (200, article(f"Story {path[-1]}"), []) for path in paths}
    stamp = datetime.now(UTC).replace(microsecond=0).isoformat()
    server.routes["/sitemap.xml"] = (200, sitemap(port, dict.fromkeys(paths, stamp)), [])
    site(tmp_path, server, sitemaps="['/sitemap.xml']")
    first = crawl(tmp_path)
    with closing(sqlite3.connect(first.index)) as db:
        assert db.execute("select count(*), count(published) from articles").fetchone() == (12, 0)
        (reason,) = db.execute("select reason from captures where url like '%/sitemap.xml'").fetchone()
    assert f"every entry's lastmod is {stamp}: ignored" in reason
    later = (datetime.now(UTC) + timedelta(seconds=5)).replace(microsecond=0).isoformat()
    server.routes["/sitemap.xml"] = (200, sitemap(port, dict.fromkeys(paths, later)), [])
    result = crawl(tmp_path)
    assert [server.hits.count(path) for path in paths] == [1] * 12
    assert result.stats()["newsarchive/already_archived"] == 12


def test_entries_of_one_sitemap_dated_alike_by_day_or_few_keep_their_dates() -> None:
    from archive.discovery import parse_sitemap

    def lastmods(entries: dict[str, str]) -> list[str | None]:
        return [link.published for link in parse_sitemap(sitemap(80, entries), "http://127.0.0.1/s.xml").links]

    day = {f"/news/story-{n}": "2026-11-28" for n in range(12)}
    assert lastmods(day) == ["2026-11-28"] * 12  # many stories change on one day
    midnight = {f"/news/story-{n}": "2026-11-28T00:00:00Z" for n in range(12)}
    assert lastmods(midnight) == ["2026-11-28T00:00:00+00:00"] * 12  # a day, written as a time
    few = {f"/news/story-{n}": "2026-11-28T09:30:00Z" for n in range(9)}
    assert lastmods(few) == ["2026-11-28T09:30:00+00:00"] * 9  # a few corrected together
    varied = {f"/news/story-{n}": f"2026-11-28T09:{n:02d}:00Z" for n in range(12)}
    assert len(set(lastmods(varied))) == 12
    same = {f"/news/story-{n}": "2026-11-28T09:30:00Z" for n in range(12)}
    assert lastmods(same) == [None] * 12


SENTENCES = [
    "The harbour council met on Tuesday evening to hear the ferry operator's plans.",
    "Residents crowded into the hall, and many had to stand at the back of the room.",
    "The operator said the winter timetable would keep two crossings a day to the island.",
    "Councillors asked who would pay for the repairs to the old stone pier next spring.",
    "A fisherman said the lighthouse keeper's cottage should become a small museum at last.",
    "The meeting ended late, with a vote on the budget put off until the next session.",
]


def story(paragraphs: int, *, free: bool) -> bytes:
    """A news article page of `paragraphs` paragraphs (about 44 words each) whose JSON-LD
    says whether it is free to read."""
    ld = ('{"@context": "https://schema.org", "@type": "NewsArticle", '
          '"headline": "Ferry service kept for the winter", '
          f'"datePublished": "2026-11-20T08:00:00+00:00", "isAccessibleForFree": {str(free).lower()}}}')
    body = "".join(f"<p>{' '.join(SENTENCES[(n + k) % 4] for k in range(3))} "
                   + (SENTENCES[4] if n == 6 else f"Part {n}.") + "</p>" for n in range(paragraphs))
    return (f"<html><head><title>Ferry service kept for the winter</title>"
            f"<script type='application/ld+json'>{ld}</script></head><body><article>"
            f"<h1>Ferry service kept for the winter</h1>{body}</article></body></html>").encode()


def test_a_revisit_finding_the_article_behind_a_paywall_keeps_its_full_text(
    server: _Server, tmp_path: Path
) -> None:
    # Sites put articles behind a paywall days after publishing them: the revisit fetched a
    # teaser marked isAccessibleForFree false, and as the latest capture it replaced the full
    # text in `articles`, so search no longer found the article by its body.
    port = server.server_address[1]
    before = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    server.routes = {
        "/sitemap.xml": (200, sitemap(port, {"/news/ferry": before}), []),
        "/news/ferry": (200, story(8, free=True), []),
    }
    site(tmp_path, server, sitemaps="['/sitemap.xml']")
    crawl(tmp_path)
    later = datetime.now(UTC).isoformat()  # after the first fetch, before the second
    server.routes.update({
        "/sitemap.xml": (200, sitemap(port, {"/news/ferry": later}), []),
        "/news/ferry": (200, story(3, free=False), []),
    })
    result = crawl(tmp_path)
    assert server.hits.count("/news/ferry") == 2
    columns = "word_count, gated, fetched_at, first_fetched_at, last_fetched_at, versions"
    with closing(sqlite3.connect(result.index)) as db:
        (teaser_words, teaser_at), (full_words, full_at) = db.execute(
            "select word_count, first_fetched_at from article_versions "
            "order by first_fetched_at desc").fetchall()
        assert full_words > 300 and 100 < teaser_words < 150 and teaser_at > later
        assert db.execute("select count(*) from articles_fts "
                          "where articles_fts match '\"lighthouse keeper\"'").fetchone() == (1,)
        assert db.execute(f"select {columns} from articles").fetchall() == [
            (full_words, 0, full_at, full_at, teaser_at, 2)]
        row = db.execute("select * from articles").fetchall()
    # Its last fetch is the teaser's: the unchanged sitemap has it fetched no more.
    crawl(tmp_path)
    assert server.hits.count("/news/ferry") == 2
    data = tmp_path / "rebuilt"
    shutil.copytree(result.warc_dir, data / "warc")
    rebuilt = subprocess.run([sys.executable, "-m", "crawler.cli", "index", "--data", str(data),
                              "--rebuild", "--no-progress"], cwd=ROOT, capture_output=True,
                             text=True, timeout=120)
    assert rebuilt.returncode == 0, rebuilt.stderr
    with closing(sqlite3.connect(data / "index.db")) as db:
        assert db.execute("select * from articles").fetchall() == row
