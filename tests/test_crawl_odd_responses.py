"""Article URLs that answer with something other than a whole article page: what is archived,
what the index and researchers see, and that such an answer never replaces a good version."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from tests.conftest import Crawl
from tests.test_crawl_frontier import _Server, article, crawl, feed, server, site

__all__ = ["server"]  # the fixture, used by name


def query(result: Crawl, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(result.index)) as db:
        return db.execute(sql).fetchall()


def test_a_206_partial_answer_never_replaces_the_whole_article(
    server: _Server, tmp_path: Path
) -> None:
    # We never ask for a range, yet a server or cache may answer 206 with part of the page:
    # it was extracted as if whole, and its stub became the article's latest version.
    port = server.server_address[1]
    whole = article("Harbour plan")
    part = whole[: len(whole) * 2 // 3]
    server.routes = {"/feed.xml": (200, feed(port, "/news/story"), []),
                     "/news/story": (200, whole, [])}
    site(tmp_path, server, feeds="['/feed.xml']", revisit_after="'1s'")
    first = crawl(tmp_path)
    [(words,)] = query(first, "select word_count from articles")
    time.sleep(1.2)  # past revisit_after
    server.routes["/news/story"] = (206, part, [("Content-Range", f"bytes 0-{len(part) - 1}/{len(whole)}")])
    result = crawl(tmp_path)
    assert query(result, "select word_count, versions from articles") == [(words, 1)]
    assert query(result, "select status, outcome, reason from captures where url like '%story' "
                         "order by fetched_at")[1:] == [
        (206, "truncated", f"HTTP 206: only part of the page was sent "
                           f"(Content-Range bytes 0-{len(part) - 1}/{len(whole)})")]
    assert "/news/story: HTTP 206: only part of the page" in result.log


def test_an_article_redirected_off_site_to_a_consent_wall_is_logged(
    server: _Server, tmp_path: Path
) -> None:
    # European sites send a reader without a cookie to a consent page on another host: the
    # article was never archived, and neither the log nor the stats said why.
    port = server.server_address[1]
    wall = f"http://localhost:{port}/consent?continue=/news/story"
    server.routes = {"/feed.xml": (200, feed(port, "/news/story"), []),
                     "/news/story": (302, b"", [("Location", wall)])}
    site(tmp_path, server, feeds="['/feed.xml']")
    result = crawl(tmp_path)
    reason = f"redirects off-site to {wall}: not followed"
    assert query(result, "select status, outcome, reason from captures where url like '%story'") == [
        (302, "redirect", reason)]
    assert f"http://127.0.0.1:{port}/news/story {reason}" in result.log
    assert result.stats()["newsarchive/offsite_redirects"] == 1
