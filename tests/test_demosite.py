"""The bundled demo news site: pages, manifest truth, discovery coverage and awkward responses."""

from __future__ import annotations

import gzip
import http.client
import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest

from archive.demosite import DemoSite, SentResponse
from archive.demosite.pages import render_article

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
      "news": "http://www.google.com/schemas/sitemap-news/0.9",
      "atom": "http://www.w3.org/2005/Atom", "dc": "http://purl.org/dc/elements/1.1/"}


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    with DemoSite(now=NOW) as running:
        yield running


def fetch(site: DemoSite, path: str, headers: dict[str, str] | None = None,
          ) -> tuple[int, list[tuple[str, str]], bytes]:
    address = urlsplit(site.url)
    conn = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def raw_exchange(site: DemoSite, path: str, extra: str = "") -> bytes:
    """The response exactly as it crossed the socket (the server closes after it)."""
    address = urlsplit(site.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n"
        sock.sendall(request.encode("ascii"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def header(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in headers if k.lower() == name.lower()]


def hrefs(body: bytes) -> list[str]:
    return re.findall(r'href="([^"]+)"', body.decode("utf-8"))


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# Manifest

def test_manifest_describes_a_realistic_site(site: DemoSite) -> None:
    articles = site.manifest.articles
    assert len(articles) >= 64
    assert len({a.path for a in articles}) == len(articles)
    assert len({a.section for a in articles}) >= 3
    for a in articles:
        assert re.fullmatch(r"/news/\d{4}/\d{2}/\d{2}/[a-z0-9-]+", a.path)
        assert 7 <= len(a.paragraphs) <= 12                # 5-10 paragraphs + subheading + quote
        assert len(set(a.paragraphs)) == len(a.paragraphs)
        assert datetime.fromisoformat(a.modified) >= datetime.fromisoformat(a.published)
        assert a.path.startswith(f"/news/{a.published_at:%Y/%m/%d}/")
    ages = [NOW - a.published_at for a in articles]
    assert sum(age > timedelta(days=60) for age in ages) == 2
    assert all(age <= timedelta(days=21) for age in ages[:-2])
    assert any(len(a.authors) == 2 for a in articles)
    assert [a.has_comments for a in articles[:6]] == [True, False, False, True, False, False]
    assert any(a.in_news_sitemap for a in articles) and not all(a.in_news_sitemap for a in articles)


def test_same_seed_and_time_give_the_same_site() -> None:
    first, second = DemoSite(now=NOW, seed=7), DemoSite(now=NOW, seed=7)
    assert first.manifest.articles == second.manifest.articles
    article = first.manifest.articles[10]
    assert (render_article(first.manifest, article, "http://h")
            == render_article(second.manifest, second.manifest.articles[10], "http://h"))
    assert DemoSite(now=NOW, seed=8).manifest.articles[10].title != article.title


def test_large_site_builds() -> None:
    # (How fast is bench/'s business: bench_crawl.py serves 2,000 articles.)
    big = DemoSite(n_articles=2000, now=NOW)
    assert len(big.manifest.articles) == 2000
    assert len({a.path for a in big.manifest.articles}) == 2000


def test_too_small_a_site_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        DemoSite(n_articles=3)


# Pages

def test_article_page_has_everything_a_news_page_has(site: DemoSite) -> None:
    article = next(a for a in site.manifest.articles[10:] if len(a.authors) == 2)
    status, headers, body = fetch(site, article.path)
    assert status == 200 and header(headers, "Content-Type") == ["text/html; charset=utf-8"]
    page = body.decode("utf-8")
    assert re.search(r"<title>(.*) - The Demo Times</title>", page)
    assert f"<h1 class=\"story__headline\">{article.title}</h1>" in page.replace("&#x27;", "'")
    assert f'property="article:published_time" content="{article.published}"' in page
    assert f'property="article:modified_time" content="{article.modified}"' in page
    assert f'<time class="story__date" datetime="{article.published}">' in page
    assert f'<link rel="canonical" href="{site.url}{article.path}">' in page
    assert page.count("/author/") >= 2 and page.count('rel="tag"') == len(article.tags)
    ld = json.loads(re.search(r'application/ld\+json">(.*?)</script>', page, re.S)[1])  # type: ignore[index]
    assert ld["@type"] == "NewsArticle" and ld["headline"] == article.title
    assert [a["name"] for a in ld["author"]] == article.authors
    assert ld["datePublished"] == article.published
    assert "<h2>" in page and "<blockquote>" in page and "<figcaption>" in page
    for snippet in ("Support The Demo Times!", "A Message from The Demo Times", "Remind me later",
                    "<button>Monthly</button>", "Read more", article.photo_credit,
                    f"(c) {NOW.year} The Demo Times"):
        assert snippet in page
    assert ('id="comments"' in page) == article.has_comments


def test_paragraphs_appear_in_order_and_boilerplate_is_not_in_them(site: DemoSite) -> None:
    boilerplate = list(site.manifest.boilerplate.values())
    for article in site.manifest.articles[8:20]:
        _, _, body = fetch(site, article.path)
        page = body.decode(article.charset).replace("&quot;", '"').replace("&#x27;", "'")
        positions = [page.index(p) for p in article.paragraphs]
        assert positions == sorted(positions)
        for paragraph in article.paragraphs:
            assert not any(snippet in paragraph for snippet in boilerplate)


def test_every_non_article_page_renders(site: DemoSite) -> None:
    paths = site.manifest.non_article_paths
    assert {"/", "/about", "/section/politics", "/section/politics?page=2"} <= set(paths)
    assert any(p.startswith("/tag/") for p in paths) and any(p.startswith("/author/") for p in paths)
    for path in paths:
        status, headers, body = fetch(site, path)
        assert status == 200, path
        assert b"The Demo Times" in body and b'class="site-footer"' in body
    _, _, first = fetch(site, "/section/politics")
    assert b'href="/section/politics?page=2">Next page</a>' in first


def test_unknown_pages_answer_404(site: DemoSite) -> None:
    assert fetch(site, "/no/such/page")[0] == 404
    assert fetch(site, "/section/politics?page=99")[0] == 404
    assert fetch(site, "/news/2020/01/01/not-a-story-a1")[0] == 404


# Discovery

def _sitemap_paths(site: DemoSite) -> tuple[set[str], set[str]]:
    _, _, index = fetch(site, site.manifest.sitemaps["index"])
    locs = [e.text or "" for e in ElementTree.fromstring(index).findall("sm:sitemap/sm:loc", NS)]
    assert sorted(local(u) for u in locs) == ["/sitemaps/articles.xml", "/sitemaps/news.xml"]
    _, _, news = fetch(site, site.manifest.sitemaps["news"])
    news_root = ElementTree.fromstring(news)
    for url in news_root.findall("sm:url", NS):
        assert url.findtext("news:news/news:publication/news:name", None, NS) == "The Demo Times"
        assert url.findtext("news:news/news:publication_date", None, NS)
        assert url.findtext("news:news/news:title", None, NS)
        assert url.findtext("news:news/news:keywords", None, NS)
    news_paths = {local(e.text or "") for e in news_root.findall("sm:url/sm:loc", NS)}
    _, _, plain = fetch(site, site.manifest.sitemaps["articles"])
    plain_root = ElementTree.fromstring(plain)
    assert all(u.find("sm:lastmod", NS) is not None for u in plain_root.findall("sm:url", NS))
    return news_paths, {local(e.text or "") for e in plain_root.findall("sm:url/sm:loc", NS)}


def _feed_paths(site: DemoSite) -> tuple[set[str], set[str], set[str]]:
    _, _, rss = fetch(site, site.manifest.feeds["rss"])
    items = ElementTree.fromstring(rss).findall("channel/item")
    assert len(items) == 20
    for item in items:
        assert item.findtext("guid") and item.findtext("pubDate") and item.findtext("category")
        assert item.findtext("dc:creator", None, NS)
    _, _, atom = fetch(site, site.manifest.feeds["atom"])
    entries = ElementTree.fromstring(atom).findall("atom:entry", NS)
    atom_links = {local(e.find("atom:link", NS).get("href", "")) for e in entries}  # type: ignore[union-attr]
    status, headers, body = fetch(site, site.manifest.feeds["json"])
    feed = json.loads(body)
    assert feed["version"] == "https://jsonfeed.org/version/1.1" and feed["items"]
    return ({local(i.findtext("link") or "") for i in items}, atom_links,
            {local(i["url"]) for i in feed["items"]})


def _section_paths(site: DemoSite) -> set[str]:
    found: set[str] = set()
    for path in [p for p in site.manifest.non_article_paths if p.startswith("/section/")]:
        _, _, body = fetch(site, path)
        found |= {h for h in hrefs(body) if h.startswith("/news/")}
    return found


def test_feeds_sitemaps_and_sections_together_cover_every_article(site: DemoSite) -> None:
    manifest, special = site.manifest, site.manifest.special
    resolve = {special["redirect_from"]: special["redirect_to"],
               special["utm_link"]: special["utm_target"]}
    news, plain = _sitemap_paths(site)
    rss, atom, json_feed = _feed_paths(site)
    sections = _section_paths(site)
    every = {a.path for a in manifest.articles}
    sources = {"news": news, "sitemap": plain, "rss": rss, "atom": atom, "json": json_feed,
               "sections": sections}
    sources = {name: {resolve.get(p, p) for p in found} & every for name, found in sources.items()}
    assert set().union(*sources.values()) == every
    for name, found in sources.items():
        assert found < every, f"{name} alone covers the whole site"
    assert sources["sitemap"] & sources["sections"] and sources["rss"] & sources["sitemap"]
    assert news == {a.path for a in manifest.articles if a.in_news_sitemap}
    in_feeds = sources["rss"] | sources["atom"] | sources["json"]
    assert in_feeds == {a.path for a in manifest.articles if a.in_feeds}


def test_robots_disallows_embargoed_pages_that_are_linked(site: DemoSite) -> None:
    status, headers, body = fetch(site, "/robots.txt")
    assert status == 200 and header(headers, "Content-Type")[0].startswith("text/plain")
    robots = body.decode()
    assert "Disallow: /news/embargoed/" in robots
    assert f"Sitemap: {site.url}/sitemap.xml" in robots
    disallowed = site.manifest.disallowed_paths
    assert len(disallowed) >= 2
    assert all(re.fullmatch(r"/news/embargoed/\d{4}/\d{2}/\d{2}/[a-z0-9-]+", p) for p in disallowed)
    assert set(disallowed) <= _section_paths_with_planted(site)


def _section_paths_with_planted(site: DemoSite) -> set[str]:
    _, _, body = fetch(site, "/section/politics")
    return set(hrefs(body))


# Awkward responses

def test_gzip_article_is_compressed_only_when_asked(site: DemoSite) -> None:
    path = site.manifest.special["gzip"]
    status, headers, body = fetch(site, path, {"Accept-Encoding": "gzip, deflate"})
    assert header(headers, "Content-Encoding") == ["gzip"]
    assert site.sent[-1].body == body and int(header(headers, "Content-Length")[0]) == len(body)
    plain = gzip.decompress(body)
    assert site.manifest.article(path).paragraphs[0].encode() in plain.replace(b"&#x27;", b"'")
    status, headers, identity = fetch(site, path)
    assert not header(headers, "Content-Encoding") and identity == plain


def test_chunked_article_is_framed_on_the_wire(site: DemoSite) -> None:
    path = site.manifest.special["chunked"]
    wire = raw_exchange(site, path)
    head, _, framed = wire.partition(b"\r\n\r\n")
    assert b"\r\nTransfer-Encoding: chunked" in head and b"Content-Length" not in head
    body, rest = b"", framed
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        body, rest = body + rest[:size], rest[size + 2:]
        if size == 0:
            break
    sent = site.sent[-1]
    assert sent.chunked and sent.body == body and b"</html>" in body
    assert framed.endswith(b"0\r\n\r\n") and framed != body


def test_cp1251_article_has_a_lying_content_type(site: DemoSite) -> None:
    path = site.manifest.special["cp1251"]
    article = site.manifest.article(path)
    status, headers, body = fetch(site, path)
    assert article.charset == "windows-1251" and article.language == "ru"
    assert header(headers, "Content-Type") == ["text/html; charset=utf-8"]
    assert b'<meta charset="windows-1251">' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    page = body.decode("cp1251")
    assert article.title in page and all(p in page for p in article.paragraphs[:2])


def test_old_url_redirects_permanently_and_is_in_rss(site: DemoSite) -> None:
    special = site.manifest.special
    status, headers, body = fetch(site, special["redirect_from"])
    assert status == 301 and body == b""
    assert header(headers, "Location") == [site.url + special["redirect_to"]]
    _, _, rss = fetch(site, site.manifest.feeds["rss"])
    assert f"<link>{site.url}{special['redirect_from']}</link>".encode() in rss


def test_dead_link_on_a_section_page_answers_404(site: DemoSite) -> None:
    missing = site.manifest.special["not_found"]
    _, _, section = fetch(site, "/section/business")
    assert missing in hrefs(section)
    assert fetch(site, missing)[0] == 404


def test_flaky_article_fails_once_per_server() -> None:
    with DemoSite(now=NOW) as fresh:
        path = fresh.manifest.special["flaky"]
        assert [fetch(fresh, path)[0] for _ in range(3)] == [500, 200, 200]
        assert [s.status for s in fresh.sent] == [500, 200, 200]
    with DemoSite(now=NOW) as again:
        assert fetch(again, path)[0] == 500


def test_article_sets_two_cookies(site: DemoSite) -> None:
    status, headers, _ = fetch(site, site.manifest.special["cookies"])
    cookies = header(headers, "Set-Cookie")
    assert status == 200 and len(cookies) == 2 and cookies[0] != cookies[1]
    assert len(header(site.sent[-1].headers, "Set-Cookie")) == 2


def test_tracking_link_in_atom_points_at_a_cleanly_linked_article(site: DemoSite) -> None:
    special = site.manifest.special
    assert re.search(r"\?utm_source=[^&]+&utm_medium=", special["utm_link"])
    _, _, atom = fetch(site, site.manifest.feeds["atom"])
    assert (site.url + special["utm_link"]).replace("&", "&amp;").encode() in atom
    _, _, rss = fetch(site, site.manifest.feeds["rss"])
    assert f"<link>{site.url}{special['utm_target']}</link>".encode() in rss
    status, _, tracked = fetch(site, special["utm_link"])
    assert status == 200
    assert f'rel="canonical" href="{site.url}{special["utm_target"]}"'.encode() in tracked
    assert site.hits(special["utm_link"]) == 1


# The log

def test_sent_log_matches_the_bytes_on_the_wire(site: DemoSite) -> None:
    path = site.manifest.articles[12].path
    wire = raw_exchange(site, path)
    head, _, body = wire.partition(b"\r\n\r\n")
    sent: SentResponse = site.sent[-1]
    status_line, *lines = head.decode("latin-1").split("\r\n")
    assert status_line == f"HTTP/1.1 {sent.status} {sent.reason}" == "HTTP/1.1 200 OK"
    assert [tuple(line.split(": ", 1)) for line in lines] == sent.headers
    assert sent.body == body and sent.method == "GET" and sent.path == path and not sent.chunked


def test_keep_alive_serves_many_requests_on_one_connection(site: DemoSite) -> None:
    address = urlsplit(site.url)
    conn = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    try:
        for path in ("/", "/about", "/feeds/feed.json"):
            conn.request("GET", path)
            response = conn.getresponse()
            assert response.status == 200 and response.getheader("Connection") == "keep-alive"
            response.read()
        first_socket = conn.sock
        conn.request("GET", "/robots.txt")
        conn.getresponse().read()
        assert conn.sock is first_socket
    finally:
        conn.close()


def test_hits_count_paths_with_their_query() -> None:
    with DemoSite(now=NOW) as fresh:
        fetch(fresh, "/section/science?page=2")
        fetch(fresh, "/section/science?page=2")
        fetch(fresh, "/")
        assert fresh.hits("/section/science?page=2") == 2 and fresh.hits("/section/science") == 0
        assert fresh.requested_paths() == ["/section/science?page=2"] * 2 + ["/"]


def test_delay_is_slept_before_every_response(monkeypatch: pytest.MonkeyPatch) -> None:
    import archive.demosite.server as server

    slept: list[float] = []
    monkeypatch.setattr(server, "time", SimpleNamespace(time=time.time, sleep=slept.append))
    with DemoSite(now=NOW, delay=0.2) as slow:
        assert fetch(slow, "/about")[0] == 200
        assert fetch(slow, "/")[0] == 200
    assert slept == [0.2, 0.2]


def test_the_server_command_refuses_bad_options_in_one_line() -> None:
    for options, message in (
        (["--articles", "3"], "needs at least 16 articles, got 3"),
        (["--now", "yesterday"], "argument --now: invalid"),
        # Read as the machine's local time, though the help says it needs an offset.
        (["--now", "2026-01-01T00:00"], "has no UTC offset"),
        (["--port", "70000"], "70000 is not a port"),  # an OverflowError traceback
        (["--delay", "-1"], "-1 is not a delay"),  # accepted, then every request failed
    ):
        run = subprocess.run([sys.executable, "-m", "archive.demosite", *options],
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 2
        assert message in run.stderr and "Traceback" not in run.stderr
    with DemoSite(n_articles=16) as site:  # the README's `--port 8765 &`, run twice
        port = str(urlsplit(site.url).port)
        run = subprocess.run([sys.executable, "-m", "archive.demosite", "--port", port],
                             capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and f"cannot serve on 127.0.0.1:{port}" in run.stderr
    assert "Traceback" not in run.stderr
