"""Hardening, security (issue 6): only http(s) is fetched, and no request reaches an address the
site did not opt into (SSRF), whether linked from a feed or reached by a redirect.

Every address here is loopback. The "internal" host is 127.0.0.2 on the demo site's port, where a
tripwire listens: a failing guard is caught there, and nothing ever leaves the machine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.demosite import DemoSite
from archive.demosite.hostile import XML_FEEDS, internal_origin
from tests.conftest import Crawl
from tests.hardening_support import (
    Tripwire,
    article_rows,
    assert_archive_sound,
    assert_finished,
    assert_logged,
    capture_with,
    captures,
    crawl_theme,
    query,
    site_of,
)

# The URLs as the hostile feed links them, each with its scheme.
REFUSED = {
    "file": "file:///etc/passwd",
    "data": "data:text/html,<h1>Injected headline</h1>",
    "ftp": "ftp://127.0.0.1/x",
    "s3": "s3://bucket/key",
}


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    with DemoSite(n_articles=16) as site:
        internal = internal_origin(site.url)
        port = int(internal.rsplit(":", 1)[1])
        with Tripwire("127.0.0.2", port).armed() as tripwire:
            # 127.0.0.2 is an allowed *domain*, so only the network allow-list can stop it.
            result = crawl_theme(tmp_path_factory.mktemp("security"), site, "security",
                                 allowed_domains=["127.0.0.1", "127.0.0.2"],
                                 feeds=["/hostile/feed.xml?theme=security", *XML_FEEDS])
        assert tripwire.connections == 0, "a request reached 127.0.0.2: the SSRF guard let it by"
        yield result


def test_crawl_finishes_and_archive_is_sound(crawl: Crawl) -> None:
    assert_finished(crawl)
    assert_archive_sound(crawl)
    assert article_rows(crawl, site_of(crawl).url + "/hostile/a/quiet-harbour") == 1


@pytest.mark.parametrize("scheme", list(REFUSED))
def test_other_schemes_from_a_feed_are_refused(crawl: Crawl, scheme: str) -> None:
    # The URL as recorded may be normalised (data: URLs get percent-encoded): find it by its
    # beginning (a redirect leads to another file: URL).
    rows = query(crawl, "select url from captures where url like ?", REFUSED[scheme].split(",")[0] + "%")
    assert len(rows) == 1, rows
    url = rows[0][0]
    assert url.split(",")[0] == REFUSED[scheme].split(",")[0]
    capture = capture_with(crawl, url, "refused")
    assert capture.status is None
    assert f"scheme {scheme!r}" in (capture.reason or "")
    assert_logged(crawl, url, "refused")


def test_non_allowed_loopback_origin_is_refused_before_any_request(crawl: Crawl) -> None:
    # Its robots.txt is the first request the crawl would make there: refused, then
    # nothing else of that origin is attempted (and the tripwire saw no connection).
    url = internal_origin(site_of(crawl).url) + "/robots.txt"
    capture = capture_with(crawl, url, "refused")
    assert "non-global address 127.0.0.2" in (capture.reason or "")
    assert_logged(crawl, url, "non-global address")


def test_link_to_a_non_allowed_loopback_address_is_refused(crawl: Crawl) -> None:
    url = internal_origin(site_of(crawl).url) + "/hostile/a/internal-direct"
    capture = capture_with(crawl, url, "refused")
    assert "non-global address" in (capture.reason or "")
    assert_logged(crawl, url, "non-global address")


def test_redirect_to_a_non_allowed_loopback_address_is_recorded(crawl: Crawl) -> None:
    site = site_of(crawl)
    hop = capture_with(crawl, site.url + "/hostile/a/to-internal", "redirect")
    assert hop.status == 302
    assert internal_origin(site.url) + "/hostile/a/internal-secret" in (hop.reason or "")


def test_redirect_to_a_non_allowed_loopback_address_is_refused(crawl: Crawl) -> None:
    url = internal_origin(site_of(crawl).url) + "/hostile/a/internal-secret"
    capture = capture_with(crawl, url, "refused")
    assert "non-global address" in (capture.reason or "")
    assert_logged(crawl, url, "non-global address")
    assert article_rows(crawl, url) == 0


def test_redirect_to_a_file_url_is_refused(crawl: Crawl) -> None:
    site = site_of(crawl)
    assert capture_with(crawl, site.url + "/hostile/a/to-file", "redirect").status == 302
    # Recorded as refused, with the reason: the redirect is the only way to that URL.
    [refused] = captures(crawl, "file:///etc/hostname")
    assert refused.outcome == "refused" and "file" in (refused.reason or ""), refused


def test_external_entity_in_a_feed_is_not_read(crawl: Crawl) -> None:
    site = site_of(crawl)
    assert capture_with(crawl, site.url + XML_FEEDS[0], "feed").status == 200
    leaks = [p for p in site.requested_paths() if p.startswith("/hostile/a/leak")]
    # The entity is dropped, not resolved: the link arrives with an empty value, if at all.
    assert all(p == "/hostile/a/leak?d=" for p in leaks), leaks
    assert not query(crawl, "select url from captures where url like '%root%' or reason like '%root:%'")


def test_entity_expansion_bomb_in_a_feed_is_refused(crawl: Crawl) -> None:
    url = site_of(crawl).url + XML_FEEDS[1]
    capture = capture_with(crawl, url, "bad_feed")
    assert "amplification" in (capture.reason or "") or "entit" in (capture.reason or "")
    assert_logged(crawl, url, "not a well-formed feed")


def test_loopback_is_refused_without_the_opt_in(tmp_path: Path) -> None:
    with DemoSite(n_articles=16) as site:
        crawl = crawl_theme(tmp_path, site, "security", allow_private_networks=None)
        assert site.requested_paths() == []
        robots = site.url + "/robots.txt"
    capture = capture_with(crawl, robots, "refused")
    assert "non-global address 127.0.0.1" in (capture.reason or "")
    assert "allow_private_networks" in (capture.reason or "")
    assert_logged(crawl, robots, "non-global address")
    assert_archive_sound(crawl)


def test_the_answering_address_is_checked_before_the_response_is_archived() -> None:
    # process_response runs from the highest order down: at the guard's own 50, the capture
    # (950) had already archived what a refused address sent (DNS can change between our
    # lookup and Twisted's). Scrapy orders the middlewares with build_component_list.
    import os

    from scrapy.utils.conf import build_component_list
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    on_the_way_back = build_component_list(settings.getwithbase("DOWNLOADER_MIDDLEWARES"))[::-1]
    assert on_the_way_back.index("crawler.middlewares.guard.AnsweringAddressGuardMiddleware") < (
        on_the_way_back.index("crawler.middlewares.capture.WarcCaptureMiddleware"))


def test_a_response_from_a_refused_address_is_refused(tmp_path: Path) -> None:
    # The request-side check passed (DNS said 127.0.0.1); the answer came from 10.0.0.7.
    import ipaddress

    from scrapy import Request
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from archive.config import load_site
    from crawler.middlewares.guard import AnsweringAddressGuardMiddleware, RefusedRequest
    from crawler.spiderloader import spider_class

    (tmp_path / "local.toml").write_text(
        "allowed_domains = ['127.0.0.1']\nallow_private_networks = ['127.0.0.1/32']\n"
        "feeds = ['http://127.0.0.1:8799/rss']\narticle_patterns = ['/news/']\n")
    cls = spider_class(load_site(tmp_path / "local.toml"))
    crawler = get_crawler(cls)
    crawler.spider = cls.from_crawler(crawler)
    guard = AnsweringAddressGuardMiddleware.from_crawler(crawler)
    request = Request("http://127.0.0.1:8799/news/a")

    def answered_from(address: str) -> HtmlResponse:
        return HtmlResponse(request.url, body=b"<p>secret</p>", request=request,
                            ip_address=ipaddress.ip_address(address))

    assert guard.process_response(request, answered_from("127.0.0.1")).status == 200
    with pytest.raises(RefusedRequest, match="answered from the non-global address 10.0.0.7"):
        guard.process_response(request, answered_from("10.0.0.7"))
