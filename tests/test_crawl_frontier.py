"""What the crawl fetches at the edges of its site config: links with tracking parameters,
pages both patterns match, URLs spelled two ways, sites sharing a domain, its page budget."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from archive.warc import iter_records, warc_files
from tests.conftest import Crawl, scrapy_crawl
from tests.http_support import QuietHandler

WORDS = "The harbour council voted on Tuesday to extend the ferry service for another year. "


def article(title: str) -> bytes:
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            + "".join(f"<p>{WORDS * 3} Paragraph {n}.</p>" for n in range(8))
            + "</article></body></html>").encode()


def listing(*links: str) -> bytes:
    items = "".join(f"<li><a href='{link}'>{link}</a></li>" for link in links)
    return f"<html><body><h1>Section</h1><ul>{items}</ul></body></html>".encode()


def feed(port: int, *paths: str) -> bytes:
    items = "".join(f"<item><title>{p}</title><link>http://127.0.0.1:{port}{p}</link></item>"
                    for p in paths)
    return f"<rss version='2.0'><channel>{items}</channel></rss>".encode()


def sitemap(port: int, entries: dict[str, str]) -> bytes:
    urls = "".join(f"<url><loc>http://127.0.0.1:{port}{path}</loc><lastmod>{lastmod}</lastmod></url>"
                   for path, lastmod in entries.items())
    return (f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>').encode()


class _Server(ThreadingHTTPServer):
    routes: dict[str, tuple[int, bytes, list[tuple[str, str]]]]
    hits: list[str]


class _Handler(QuietHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        if self.path == "/robots.txt":
            self.send(200, b"User-agent: *\nAllow: /\n", [("Content-Type", "text/plain")])
            return
        # As real sites do, a query the page does not use (utm_*) is ignored.
        routes = self.server.routes
        status, body, headers = routes.get(self.path) or routes.get(
            self.path.split("?", 1)[0], (404, b"not found", []))
        kind = "application/rss+xml" if body.startswith(b"<rss") else "text/html; charset=utf-8"
        self.send(status, body, [("Content-Type", kind), *headers])


@contextmanager
def serving(handler: type[_Handler] = _Handler) -> Iterator[_Server]:
    """A site on 127.0.0.1 (port 0) answering its `routes`, recording its `hits`."""
    httpd = _Server(("127.0.0.1", 0), handler)
    httpd.routes, httpd.hits = {}, []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    with serving() as httpd:
        yield httpd


def site(tmp_path: Path, server: _Server, name: str = "edge", **keys: str) -> Path:
    sites = tmp_path / "sites"
    sites.mkdir(exist_ok=True)
    lines = {"base_url": f"'http://127.0.0.1:{server.server_address[1]}'",
             "allowed_domains": "['127.0.0.1']", "allow_private_networks": "['127.0.0.1/32']",
             "article_patterns": r"['/news/[a-z-]+$']", **keys}
    (sites / f"{name}.toml").write_text("".join(f"{k} = {v}\n" for k, v in lines.items()))
    return sites


def crawl(tmp_path: Path, name: str = "edge") -> Crawl:
    result = scrapy_crawl(name, tmp_path / "data", sites=tmp_path / "sites")
    assert result.returncode == 0, result.log[-3000:]
    return result


def articles(result: Crawl) -> list[str]:
    with closing(sqlite3.connect(result.index)) as db:
        return [row[0].split("/", 3)[3] for row in db.execute("select canonical_url from articles "
                                                              "order by 1")]


def test_links_with_tracking_parameters_match_the_patterns(server: _Server, tmp_path: Path) -> None:
    # Patterns end in `$` (as the README's do): "/news/beta?utm_source=homepage" matched none,
    # and the article was never fetched, without a word.
    server.routes = {
        "/section/world": (200, listing("/news/beta?utm_source=homepage",
                                        "/section/world-two?utm_source=nav"), []),
        "/section/world-two": (200, listing("/news/gamma"), []),
        "/news/beta": (200, article("Beta"), []), "/news/gamma": (200, article("Gamma"), []),
    }
    site(tmp_path, server, start_urls="['/section/world']",
         follow_patterns=r"['/section/[a-z-]+$']")
    assert articles(crawl(tmp_path)) == ["news/beta", "news/gamma"]


def test_a_page_both_patterns_match_is_archived_and_its_links_followed(
    server: _Server, tmp_path: Path
) -> None:
    # Fetched as an article only, the section page was a dead end: its stories never fetched.
    server.routes = {
        "/start": (200, listing("/news/section/world"), []),
        "/news/section/world": (200, listing("/news/story-one", "/news/story-two"), []),
        "/news/story-one": (200, article("One"), []), "/news/story-two": (200, article("Two"), []),
    }
    site(tmp_path, server, start_urls="['/start']",
         article_patterns="['/news/']", follow_patterns=r"['/news/section/[a-z]+$']")
    crawl(tmp_path)
    assert {"/news/story-one", "/news/story-two"} <= set(server.hits)


def test_escapes_spelled_two_ways_are_one_article(server: _Server, tmp_path: Path) -> None:
    # "caf%c3%a9" and "caf%C3%A9" are one URL (RFC 3986): the second run fetched it again
    # and the index held it twice.
    port = server.server_address[1]
    page = (200, article("Cafe"), [])
    server.routes = {"/rss": (200, feed(port, "/news/cafe?id=caf%c3%a9"), []),
                     "/rss2": (200, feed(port, "/news/cafe?id=caf%C3%A9"), []),
                     "/news/cafe?id=caf%C3%A9": page, "/news/cafe?id=caf%c3%a9": page}
    site(tmp_path, server, feeds="['/rss']", article_patterns=r"['/news/cafe\?id=']")
    crawl(tmp_path)
    site(tmp_path, server, feeds="['/rss2']", article_patterns=r"['/news/cafe\?id=']")
    result = crawl(tmp_path)
    assert len(articles(result)) == 1
    assert len([hit for hit in server.hits if hit.startswith("/news/cafe")]) == 1


def test_brackets_in_a_query_spelled_two_ways_are_one_article(server: _Server, tmp_path: Path) -> None:
    # "?ids[]=7" and "?ids%5B%5D=7" are one request (Scrapy sends brackets percent-encoded),
    # but were two canonical URLs: the second run fetched the story again, a second article.
    port = server.server_address[1]
    server.routes = {"/rss": (200, feed(port, "/news/story?ids[]=7"), []),
                     "/rss2": (200, feed(port, "/news/story?ids%5B%5D=7"), []),
                     "/news/story": (200, article("Story"), [])}
    site(tmp_path, server, feeds="['/rss']", article_patterns=r"['/news/story\?ids']")
    crawl(tmp_path)
    site(tmp_path, server, feeds="['/rss2']", article_patterns=r"['/news/story\?ids']")
    result = crawl(tmp_path)
    assert articles(result) == ["news/story?ids%5B%5D=7"]  # as requested, as archived
    assert [hit for hit in server.hits if hit.startswith("/news/")] == ["/news/story?ids%5B%5D=7"]


def test_a_query_written_in_a_pages_own_charset_is_sent_in_it(server: _Server, tmp_path: Path) -> None:
    # As browsers send it (and Scrapy's response.follow): the path in UTF-8, the query in the
    # page's encoding. Sent as UTF-8, the windows-1251 site's story was a 404.
    query = "rubric=%EF%EE%EB%E8%F2%E8%EA%E0"  # "политика" in windows-1251
    cp1251 = [("Content-Type", "text/html; charset=windows-1251")]
    server.routes = {"/section": (200, listing("/news/view?rubric=политика").decode().encode("cp1251"),
                                  cp1251),
                     f"/news/view?{query}": (200, article("Politics"), [])}
    site(tmp_path, server, start_urls="['/section']", article_patterns=r"['/news/view\?']")
    assert articles(crawl(tmp_path)) == [f"news/view?{query}"]


def test_sites_sharing_a_domain_do_not_fetch_each_others_articles_again(
    server: _Server, tmp_path: Path
) -> None:
    port = server.server_address[1]
    server.routes = {"/rss": (200, feed(port, "/news/shared"), []),
                     "/news/shared": (200, article("Shared"), [])}
    site(tmp_path, server, name="first", feeds="['/rss']")
    site(tmp_path, server, name="second", feeds="['/rss']")
    crawl(tmp_path, "first")
    result = crawl(tmp_path, "second")
    assert server.hits.count("/news/shared") == 1
    assert result.stats()["newsarchive/already_archived"] == 1
    with closing(sqlite3.connect(result.index)) as db:
        assert db.execute("select site from articles").fetchall() == [("first",)]  # not taken over


def test_an_alias_found_with_tracking_parameters_is_known_to_the_next_run(
    server: _Server, tmp_path: Path
) -> None:
    # The feed's "/news/old-name?utm_source=rss" redirects to the article: stored as linked,
    # the alias was never found again, and every run fetched the old URL once more.
    port = server.server_address[1]
    server.routes = {
        "/rss": (200, feed(port, "/news/old-name?utm_source=rss"), []),
        "/news/old-name": (301, b"", [("Location", f"http://127.0.0.1:{port}/news/new-name")]),
        "/news/new-name": (200, article("New name"), []),
    }
    site(tmp_path, server, feeds="['/rss']")
    crawl(tmp_path)
    crawl(tmp_path)
    assert server.hits.count("/news/old-name") == 1


def test_a_run_cut_short_by_max_pages_says_so(server: _Server, tmp_path: Path) -> None:
    port = server.server_address[1]
    stories = [f"/news/story-{n}" for n in "abcdef"]
    server.routes = {"/rss": (200, feed(port, *stories), []),
                     **{path: (200, article(path), []) for path in stories}}
    site(tmp_path, server, feeds="['/rss']", max_pages="4")
    result = crawl(tmp_path)
    assert len(articles(result)) == 3  # the feed is one of the four pages
    assert "max_pages (4) reached" in result.log


def test_a_redirect_to_the_servers_own_spelling_is_followed(server: _Server, tmp_path: Path) -> None:
    # The crawl asks for "caf%C3%A9"; the server prefers "caf%c3%a9" (WordPress writes
    # lower-case escapes) and redirects there. Both are one URL, so the hop looked like a
    # loop: "redirect_loop", and the story was never archived.
    port = server.server_address[1]
    server.routes = {"/rss": (200, feed(port, "/news/caf%C3%A9"), []),
                     "/news/caf%C3%A9": (301, b"", [("Location", f"http://127.0.0.1:{port}/news/caf%c3%a9")]),
                     "/news/caf%c3%a9": (200, article("Cafe"), [])}
    site(tmp_path, server, feeds="['/rss']", article_patterns=r"['/news/']")
    result = crawl(tmp_path)
    assert articles(result) == ["news/caf%C3%A9"]  # the canonical spelling, one article
    assert server.hits.count("/news/caf%c3%a9") == 1
    assert "redirect loop" not in result.log


def test_a_server_that_answers_each_spelling_with_the_other_is_a_loop(
    server: _Server, tmp_path: Path
) -> None:
    port = server.server_address[1]
    server.routes = {"/rss": (200, feed(port, "/news/caf%C3%A9"), []),
                     "/news/caf%C3%A9": (301, b"", [("Location", f"http://127.0.0.1:{port}/news/caf%c3%a9")]),
                     "/news/caf%c3%a9": (301, b"", [("Location", f"http://127.0.0.1:{port}/news/caf%C3%A9")])}
    site(tmp_path, server, feeds="['/rss']", article_patterns=r"['/news/']")
    result = crawl(tmp_path)
    assert "redirect loop" in result.log and articles(result) == []
    assert len([hit for hit in server.hits if hit.startswith("/news/")]) == 2


def test_a_feed_redirected_to_the_servers_own_spelling_is_read(server: _Server, tmp_path: Path) -> None:
    port = server.server_address[1]
    server.routes = {"/feeds/caf%C3%A9": (301, b"", [("Location", f"http://127.0.0.1:{port}/feeds/caf%c3%a9")]),
                     "/feeds/caf%c3%a9": (200, feed(port, "/news/story"), []),
                     "/news/story": (200, article("Story"), [])}
    site(tmp_path, server, feeds="['/feeds/caf%C3%A9']")
    assert articles(crawl(tmp_path)) == ["news/story"]


def test_a_links_credentials_reach_neither_the_index_nor_the_metadata(
    server: _Server, tmp_path: Path
) -> None:
    # The request never carries them (canonical URLs drop them), but the feed's link was
    # kept as written: "user:secret@" in article_aliases and the metadata's discovered URL.
    port = server.server_address[1]
    link = f"http://user:secret@127.0.0.1:{port}/news/story?utm_source=rss"
    server.routes = {"/rss": (200, f"<rss version='2.0'><channel><item><title>s</title><link>{link}"
                                   "</link></item></channel></rss>".encode(), []),
                     "/news/story": (200, article("Story"), [])}
    site(tmp_path, server, feeds="['/rss']")
    result = crawl(tmp_path)
    assert articles(result) == ["news/story"]
    with closing(sqlite3.connect(result.index)) as db:
        aliases = [row[0] for row in db.execute("select alias_url from article_aliases")]
    assert aliases == [f"http://127.0.0.1:{port}/news/story?utm_source=rss"]
    records = [r for path in warc_files(tmp_path / "data" / "warc") for r in iter_records(path)]
    metadata = [r.payload for r in records if r.rec_type == "metadata"]
    assert metadata and not any(b"secret" in payload for payload in metadata)
    # The feed itself is archived as it was served, its link included.
    assert any(b"secret" in r.payload for r in records if r.rec_type == "response")


def test_a_day_without_a_time_counts_whole_against_since(server: _Server, tmp_path: Path) -> None:
    # A sitemap's "yesterday" was read as yesterday's midnight UTC: with since = "1d" every
    # story of the day before was skipped, though most were less than a day old (a daily
    # crawl with since = "1d" never archived what was published after its time of day).
    port = server.server_address[1]
    today = datetime.now(UTC).date()
    days = {"/news/yesterday": today - timedelta(days=1), "/news/last-week": today - timedelta(days=7)}
    server.routes = {
        "/sitemap.xml": (200, sitemap(port, {p: d.isoformat() for p, d in days.items()}), []),
        **{path: (200, article(path), []) for path in days},
    }
    site(tmp_path, server, sitemaps="['/sitemap.xml']", since="'1d'")
    result = crawl(tmp_path)
    assert articles(result) == ["news/yesterday"]
    assert result.stats()["newsarchive/skipped_since"] == 1


def test_a_day_at_the_end_of_the_calendar_costs_only_its_date(server: _Server, tmp_path: Path) -> None:
    # A lastmod of "9999-12-31" (a placeholder, or a hostile sitemap), read as lasting until
    # noon the next day, was past the last day Python knows: OverflowError, and the articles
    # after it in discovery and the site's start pages were never requested.
    port = server.server_address[1]
    today = datetime.now(UTC).date().isoformat()
    server.routes = {
        "/sitemap.xml": (200, sitemap(port, {"/news/doomsday": "9999-12-31", "/news/today": today}), []),
        "/start": (200, listing("/news/linked"), []),
        **{path: (200, article(path), []) for path in ("/news/doomsday", "/news/today", "/news/linked")},
    }
    site(tmp_path, server, sitemaps="['/sitemap.xml']", since="'1d'", start_urls="['/start']")
    result = crawl(tmp_path)
    assert articles(result) == ["news/doomsday", "news/linked", "news/today"]
    assert "OverflowError" not in result.log


class _EndlessSections(_Handler):
    """Every section page links to its story and to `FAN_OUT` section pages never seen before."""

    FAN_OUT = 1

    def do_GET(self) -> None:
        if self.path.startswith("/news/story-"):
            self.server.hits.append(self.path)
            self.send(200, article(f"Story {self.path[12:]}"), [("Content-Type", "text/html")])
            return
        number = self.path.removeprefix("/section/")
        if not number.isdigit():
            super().do_GET()
            return
        self.server.hits.append(self.path)
        n = int(number)
        links = [f"/news/story-{n}",
                 *(f"/section/{n * self.FAN_OUT + k}" for k in range(1, self.FAN_OUT + 1))]
        self.send(200, listing(*links), [("Content-Type", "text/html; charset=utf-8")])


class _EndlessFanOut(_EndlessSections):
    FAN_OUT = 3


@pytest.mark.parametrize(("handler", "caps", "why"), [
    # Each page one hop deeper than the last: max_depth gives up. It did without a word: the
    # run ended ok, and nothing told "the site had no more" from "we stopped following".
    (_EndlessSections, {"max_depth": "3"}, "max_depth (3) reached"),
    # Ever more pages at each depth: max_pages gives up.
    (_EndlessFanOut, {"max_depth": "50", "max_pages": "12"}, "max_pages (12) reached"),
])
def test_a_never_ending_discovery_is_given_up_and_says_why(
        handler: type[_Handler], caps: dict[str, str], why: str, tmp_path: Path) -> None:
    from archive.warc.verify import verify_directory

    with serving(handler) as server:
        site(tmp_path, server, start_urls="['/section/0']", follow_patterns=r"['/section/\d+$']",
             article_patterns=r"['/news/story-\d+$']", **caps)
        result = crawl(tmp_path)
        hits = list(server.hits)
    assert result.stats()["newsarchive/outcome"] == "ok"
    assert why in result.log
    sections = [hit for hit in hits if hit.startswith("/section/")]
    if "max_depth" in caps and "max_pages" not in caps:
        assert sections == [f"/section/{n}" for n in range(4)]  # the start page, three hops
        assert result.stats()["newsarchive/max_depth_reached"] >= 1
    else:
        assert len(hits) <= 12 + 1  # and robots.txt
    # What was fetched is archived whole and indexed, nothing else.
    assert verify_directory(result.warc_dir).ok
    with closing(sqlite3.connect(result.index)) as db:
        assert db.execute("select count(*) from captures").fetchone()[0] == len(hits)  # robots.txt too
        db.execute("insert into articles_fts(articles_fts, rank) values ('integrity-check', 1)")
        assert db.execute("select count(*) from articles").fetchone()[0] == len(
            [hit for hit in hits if hit.startswith("/news/")])


def test_a_page_already_fetched_linked_again_past_max_depth_is_no_cap_reached(
        server: _Server, tmp_path: Path) -> None:
    # A site's navigation: every section page links the others. At max_depth the links back
    # to the sections already fetched counted as left out, and every run of such a site
    # warned "max_depth (1) reached: .../section/home" though nothing was left out.
    nav = ("/section/home", "/section/world")
    server.routes = {"/section/home": (200, listing(*nav, "/news/alpha"), []),
                     "/section/world": (200, listing(*nav, "/news/beta"), []),
                     "/news/alpha": (200, article("Alpha"), []),
                     "/news/beta": (200, article("Beta"), [])}
    site(tmp_path, server, start_urls="['/section/home']", follow_patterns=r"['/section/[a-z]+$']",
         max_depth="1")
    result = crawl(tmp_path)
    assert articles(result) == ["news/alpha", "news/beta"]
    assert "max_depth" not in result.log
    assert "newsarchive/max_depth_reached" not in result.stats()
