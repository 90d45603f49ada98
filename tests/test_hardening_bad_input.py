"""Hardening, bad input (issue 6): every hostile response is recorded with an outcome and a reason,
logged with its URL, and the crawl goes on to finish with a valid WARC and index."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from archive.demosite import DemoSite
from archive.demosite import hostile_pages as pages
from archive.demosite.hostile import FEED_LINKS, GZIP_BOMB_INFLATED
from archive.warc import iter_records, warc_files
from tests.conftest import Crawl
from tests.hardening_support import (
    MAX_DEPTH,
    MAX_PAGES,
    article_rows,
    article_text,
    assert_archive_sound,
    assert_finished,
    assert_logged,
    capture_with,
    captures,
    crawl_theme,
    dead_port,
    query,
    site_of,
)

MAX_BODY = 2_000_000          # under the oversized page, over every other hostile page
# The 100,000-attribute page needs 20 s and more; ordinary pages well under 1 s, but the
# machine is shared: 5 s keeps them clear of the limit when every core is busy.
EXTRACT_TIMEOUT = 5

# slug -> (outcome, what the reason must say)
FETCH_CASES = {
    "gzip-bomb": ("fetch_error", r"size"),
    "oversized": ("truncated", r"cut|NEWSARCHIVE_MAX_BODY"),
    # Cut short by the server: archived as it came (WARC-Truncated: disconnect), never extracted.
    "lying-length": ("truncated", r"connection lost after \d+ bytes"),
    "dropped": ("truncated", r"connection lost after \d+ bytes"),
    "slow": ("fetch_error", r"Timeout|took longer"),
    "flaky-then-slow": ("fetch_error", r"Timeout|took longer"),
    "many-attributes": ("extraction_timeout", r"took longer|timed out|timeout"),
}
NOT_ARTICLES = {
    "png-as-html": r".",
    "pdf-as-html": r".",
    "nested-divs": r".",
    "empty": r".",
    "soft-404": r"404|not found",
    "paywall": r"paywall|subscri",
    "js-shell": r"javascript|script",
    "front-page": r"listing|link",
}
ENCODED = {slug: lead for slug, (_, lead) in pages.RUSSIAN_STORIES.items()} | {
    "utf16-bom": pages.UNICODE_LEAD}


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    refused = f"http://127.0.0.1:{dead_port()}"
    with DemoSite(n_articles=16) as site:
        yield crawl_theme(
            tmp_path_factory.mktemp("bad-input"), site, "bad_input",
            start_urls=["/hostile/links?theme=bad_input", f"{refused}/hostile/links"],
            settings={"NEWSARCHIVE_MAX_BODY": str(MAX_BODY),
                      "NEWSARCHIVE_EXTRACT_TIMEOUT": str(EXTRACT_TIMEOUT)})


def _url(crawl: Crawl, slug: str) -> str:
    return f"{site_of(crawl).url}/hostile/a/{slug}"


def test_every_case_is_covered() -> None:
    covered = set(FETCH_CASES) | set(NOT_ARTICLES) | set(ENCODED) | {"quiet-harbour"}
    assert {link.removeprefix("/hostile/a/") for link in FEED_LINKS["bad_input"]
            if link.startswith("/hostile/a/")} == covered


def test_crawl_finishes_and_archive_is_sound(crawl: Crawl) -> None:
    assert_finished(crawl)
    assert_archive_sound(crawl)
    # What was archived before and after the hostile pages is all there.
    assert article_rows(crawl, _url(crawl, "quiet-harbour")) == 1


@pytest.mark.parametrize("slug", list(FETCH_CASES))
def test_fetch_failure_recorded_with_reason(crawl: Crawl, slug: str) -> None:
    outcome, said = FETCH_CASES[slug]
    url = _url(crawl, slug)
    capture = capture_with(crawl, url, outcome)
    assert re.search(said, capture.reason or "", re.I), capture
    assert_logged(crawl, url)
    assert article_rows(crawl, url) == 0


def test_an_error_after_a_retried_response_gets_a_row_of_its_own(crawl: Crawl) -> None:
    # A 500 (archived), then retries that time out (nothing archived): the timeout was booked
    # onto the 500's record, as if the 500 had timed out, and no row said it was retried.
    rows = sorted(captures(crawl, _url(crawl, "flaky-then-slow")), key=lambda c: c.status or 0)
    assert [(c.status, c.outcome) for c in rows] == [(None, "fetch_error"), (500, "retried")]
    assert re.search(r"Timeout|took longer", rows[0].reason or "", re.I) and rows[1].reason is None


def test_gzip_bomb_archived_compressed_and_never_inflated_in_full(crawl: Crawl) -> None:
    url = _url(crawl, "gzip-bomb")
    record = next(r for path in warc_files(crawl.warc_dir) for r in iter_records(path)
                  if r.rec_type == "response" and r.target_uri == url)
    assert record.payload == pages.gzip_bomb(GZIP_BOMB_INFLATED)
    assert len(record.payload) < GZIP_BOMB_INFLATED // 500


def test_oversized_body_archived_truncated(crawl: Crawl) -> None:
    url = _url(crawl, "oversized")
    record = next(r for path in warc_files(crawl.warc_dir) for r in iter_records(path)
                  if r.rec_type == "response" and r.target_uri == url)
    assert record.warc_header("WARC-Truncated") == "length"
    assert len(record.payload) == MAX_BODY  # exactly the limit, not the chunk that crossed it
    (capture,) = captures(crawl, url)
    assert capture.reason == f"body cut at {MAX_BODY} bytes (NEWSARCHIVE_MAX_BODY)"


def test_connection_refused_recorded(crawl: Crawl) -> None:
    rows = query(crawl, "select url, outcome, reason from captures where url like ? and url not like ?",
                 "http://127.0.0.1:%", site_of(crawl).url + "%")
    assert rows, "nothing recorded for the port nobody listens on"
    for url, outcome, reason in rows:
        assert outcome == "fetch_error"
        assert re.search(r"refused", reason or "", re.I), reason
        assert_logged(crawl, url, "refused")


def test_redirect_loop_recorded(crawl: Crawl) -> None:
    site = site_of(crawl)
    capture = capture_with(crawl, site.url + "/hostile/loop/b", "redirect_loop")
    assert "loop" in (capture.reason or "")
    assert site.hits("/hostile/loop/a") == 1 and site.hits("/hostile/loop/b") == 1
    assert_logged(crawl, site.url + "/hostile/loop/b", "loop")


@pytest.mark.parametrize("slug", list(NOT_ARTICLES))
def test_not_an_article_classified_with_reason(crawl: Crawl, slug: str) -> None:
    url = _url(crawl, slug)
    capture = capture_with(crawl, url, "not_article")
    assert capture.status == 200
    assert capture.reason and re.search(NOT_ARTICLES[slug], capture.reason, re.I), capture
    assert article_rows(crawl, url) == 0


@pytest.mark.parametrize("slug", list(NOT_ARTICLES))
def test_not_an_article_logged(crawl: Crawl, slug: str) -> None:
    assert_logged(crawl, _url(crawl, slug), "not an article|not_article|" + NOT_ARTICLES[slug])


def test_extraction_timeout_does_not_stop_the_crawl(crawl: Crawl) -> None:
    assert_logged(crawl, _url(crawl, "many-attributes"), "timed out|timeout")
    assert crawl.stats()["newsarchive/extraction/timeout"] == 1
    # Pages extracted after the stuck one (a fresh worker took over) are all in.
    for slug in ENCODED:
        assert article_rows(crawl, _url(crawl, slug)) == 1, slug


@pytest.mark.parametrize("slug", list(ENCODED))
def test_encoding_decoded_from_the_bytes(crawl: Crawl, slug: str) -> None:
    url = _url(crawl, slug)
    assert capture_with(crawl, url, "article").status == 200
    text = article_text(crawl, url)
    assert ENCODED[slug] in text
    assert "\ufffd" not in text


def test_traps_are_bounded(crawl: Crawl) -> None:
    site = site_of(crawl)
    paths = site.requested_paths()
    calendar = [p for p in paths if p.startswith("/hostile/calendar/")]
    archive = [p for p in paths if p.startswith("/hostile/archive")]
    assert calendar and archive
    assert len(calendar) == len(set(calendar)) <= 2 * MAX_DEPTH - 1   # one month each way per hop
    assert len(archive) == len(set(archive)) <= MAX_DEPTH
    assert len(paths) <= MAX_PAGES + 1                                 # + robots.txt


def test_traps_followed_to_max_depth(crawl: Crawl) -> None:
    # Depth counts link hops from the start page, however its request was released.
    archive = [p for p in site_of(crawl).requested_paths() if p.startswith("/hostile/archive")]
    assert sorted(archive) == [f"/hostile/archive?page={n}" for n in range(1, MAX_DEPTH + 1)]


def test_trap_pages_are_recorded(crawl: Crawl) -> None:
    site = site_of(crawl)
    for path in ("/hostile/calendar/2026/03", "/hostile/archive?page=1"):
        assert capture_with(crawl, site.url + path, "page").status == 200
