"""A site's times without an offset are read in its config's `timezone`: the index's
published_utc (live and rebuilt from the WARC), `since`, and the 'changed' check."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from click.testing import CliRunner

from archive.config import load_site
from archive.discovery import DiscoveredLink
from archive.warc import iter_records, warc_files
from crawler.cli import main
from crawler.spiders.frontier import Frontier
from tests.test_crawl_frontier import _Server, article, crawl, server, site, sitemap  # noqa: F401

__all__ = ["server"]  # the fixture, used by name


def dated(title: str, published: str) -> bytes:
    """An article whose JSON-LD gives its publication time as the page's CMS wrote it."""
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle",
                     "headline": title, "datePublished": published})
    return article(title).replace(b"</head>", f'<script type="application/ld+json">{ld}</script>'
                                              "</head>".encode())


def published(index: Path) -> list[tuple[str, str, str]]:
    with closing(sqlite3.connect(index)) as db:
        return db.execute("select published, published_utc, date(published_utc) from articles "
                          "order by canonical_url").fetchall()


def test_a_naive_publication_time_is_the_sites_wall_clock_live_and_rebuilt(
    server: _Server, tmp_path: Path
) -> None:
    # 00:30 in Berlin (UTC+1 in November) is 23:30 UTC the day before. Read as UTC, the
    # story of a Berlin site published just after midnight was counted on the wrong day and
    # sorted an hour after stories published later than it.
    server.routes = {
        "/start": (200, b"<html><body><a href='/news/night'>night</a></body></html>", []),
        "/news/night": (200, dated("Night ferry", "2026-11-28T00:30:00"), []),
    }
    sites = site(tmp_path, server, start_urls="['/start']", timezone="'Europe/Berlin'")
    result = crawl(tmp_path)
    assert published(result.index) == [
        ("2026-11-28T00:30:00", "2026-11-27T23:30:00.000000+00:00", "2026-11-27")]
    [record] = [json.loads(r.payload) for path in warc_files(result.warc_dir)
                for r in iter_records(path) if r.rec_type == "metadata"
                and r.target_uri.endswith("/news/night")]
    assert record["timezone"] == "Europe/Berlin"  # what the crawl read the page's times in
    with closing(sqlite3.connect(result.index)) as db:  # the view researchers open
        assert db.execute("select * from articles_per_site_per_day").fetchall() == [
            ("edge", "2026-11-27", 1)]
    # The index is a projection of the WARC files: a rebuild gives the same instant, though
    # the site's config says another zone by then.
    config = sites / "edge.toml"
    config.write_text(config.read_text().replace("Europe/Berlin", "America/New_York"))
    rebuilt = CliRunner().invoke(main, ["index", "--rebuild", "--no-progress",
                                        "--data", str(result.data)])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert published(result.index) == [
        ("2026-11-28T00:30:00", "2026-11-27T23:30:00.000000+00:00", "2026-11-27")]


def test_without_a_timezone_naive_times_stay_utc(server: _Server, tmp_path: Path) -> None:
    server.routes = {
        "/start": (200, b"<html><body><a href='/news/night'>night</a></body></html>", []),
        "/news/night": (200, dated("Night ferry", "2026-11-28T00:30:00"), []),
    }
    site(tmp_path, server, start_urls="['/start']")
    result = crawl(tmp_path)
    assert published(result.index) == [
        ("2026-11-28T00:30:00", "2026-11-28T00:30:00.000000+00:00", "2026-11-28")]
    assert not any("timezone" in json.loads(r.payload) for path in warc_files(result.warc_dir)
                   for r in iter_records(path) if r.rec_type == "metadata")


def test_a_sitemaps_naive_lastmod_is_compared_with_since_in_the_sites_zone(
    server: _Server, tmp_path: Path
) -> None:
    # 06:00 in New York is 11:00 UTC, after `since`: read as 06:00 UTC, the story was
    # skipped as older than `since` by a daily crawl, and never archived.
    port = server.server_address[1]
    server.routes = {
        "/sitemap.xml": (200, sitemap(port, {"/news/morning": "2026-11-28T06:00:00",
                                             "/news/night": "2026-11-28T04:00:00"}), []),
        "/news/morning": (200, article("Morning ferry"), []),
        "/news/night": (200, article("Night ferry"), []),
    }
    site(tmp_path, server, sitemaps="['/sitemap.xml']", since="'2026-11-28T10:00:00+00:00'",
         timezone="'America/New_York'")
    result = crawl(tmp_path)
    assert server.hits.count("/news/morning") == 1
    assert server.hits.count("/news/night") == 0  # 09:00 UTC: older than `since` after all
    assert result.stats()["newsarchive/skipped_since"] == 1


def test_a_naive_lastmod_after_the_fetch_in_the_sites_zone_has_the_article_fetched_again(
    tmp_path: Path
) -> None:
    # Fetched at 10:00 UTC; the sitemap says 10:30 without an offset, in Berlin 09:30 UTC: no
    # change since the fetch. Read as UTC, the article was fetched again on every run.
    url = "https://example.com/news/a"
    config = tmp_path / "berlin.toml"
    config.write_text("allowed_domains = ['example.com']\nsitemaps = ['https://example.com/s.xml']\n"
                      "article_patterns = ['/news/']\ntimezone = 'Europe/Berlin'\n")

    def verdict(lastmod: str) -> str:
        frontier = Frontier(load_site(config), "test",
                            archived={url: "2026-11-28T10:00:00.000000+00:00"})
        return frontier.article_verdict(DiscoveredLink(url, "sitemap", published=lastmod))[1]

    assert verdict("2026-11-28T10:30:00") == "already_archived"
    assert verdict("2026-11-28T11:30:00") == "changed"  # 10:30 UTC
    assert verdict("2026-11-28T10:30:00+00:00") == "changed"  # an offset is the page's word
