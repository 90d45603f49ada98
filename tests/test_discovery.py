"""Feed and sitemap parsers: what they keep, and that hostile XML stays harmless."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import pytest

from archive.capture import hints_from_discovery
from archive.discovery import FeedError, SitemapError, parse_feed, parse_sitemap
from archive.extract import extract_article
from archive.extraction.datevalues import normalise_date as page_date

BASE = "http://127.0.0.1:8765/feeds/rss.xml"


def test_rss2_items() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
    <item><title>First</title><link>/news/2026/11/20/first</link>
      <pubDate>Fri, 20 Nov 2026 09:15:00 +0300</pubDate><category>Politics</category></item>
    <item><title>Second</title><guid>http://127.0.0.1:8765/news/2026/11/21/second</guid></item>
    </channel></rss>"""
    first, second = parse_feed(body, BASE)
    assert first.url == "http://127.0.0.1:8765/news/2026/11/20/first"
    assert (first.title, first.published, first.keywords) == (
        "First", "2026-11-20T09:15:00+03:00", ("Politics",))
    assert second.url.endswith("/second") and second.published is None


def test_atom_entries() -> None:
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
    <entry><title>A</title><link rel="alternate" href="http://x.test/a"/>
    <published>2026-11-20T06:15:00Z</published><category term="Science"/></entry></feed>"""
    (entry,) = parse_feed(body, BASE)
    assert (entry.url, entry.published, entry.keywords) == (
        "http://x.test/a", "2026-11-20T06:15:00+00:00", ("Science",))


def test_json_feed() -> None:
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "url": "http://x.test/a", "title": "A", "date_published": "2026-11-20T06:15:00Z",
         "tags": ["x"]}]}).encode()
    (item,) = parse_feed(body, BASE)
    assert (item.url, item.title, item.keywords) == ("http://x.test/a", "A", ("x",))


def test_not_a_feed() -> None:
    with pytest.raises(FeedError, match=f"{BASE}: root element <html>"):
        parse_feed(b"<html><body>hi</body></html>", BASE)
    with pytest.raises(FeedError, match="not a well-formed feed"):
        parse_feed(b"<rss><channel>", BASE)


NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
 <url><loc>http://x.test/news/a</loc>
  <news:news><news:publication><news:name>Demo</news:name><news:language>en</news:language></news:publication>
   <news:publication_date>2026-11-27T08:00:00+01:00</news:publication_date>
   <news:title>A &amp; B</news:title><news:keywords>war, drones</news:keywords></news:news></url>
 <url><loc>http://x.test/news/b</loc><lastmod>2026-11-01</lastmod></url>
</urlset>"""


def test_news_sitemap_keeps_nested_news_fields() -> None:
    sitemap = parse_sitemap(NEWS, "http://x.test/sitemaps/news.xml")
    news, plain = sitemap.links
    assert not sitemap.is_index
    assert (news.source, news.title, news.published, news.keywords) == (
        "news_sitemap", "A & B", "2026-11-27T08:00:00+01:00", ("war", "drones"))
    assert (plain.source, plain.published) == ("sitemap", "2026-11-01")


def test_sitemap_index_and_gzip() -> None:
    body = gzip.compress(b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>/sitemaps/news.xml</loc></sitemap></sitemapindex>""")
    sitemap = parse_sitemap(body, "http://x.test/sitemap.xml.gz")
    assert sitemap.is_index and [s.url for s in sitemap.links] == ["http://x.test/sitemaps/news.xml"]


def test_external_entity_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    body = f"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <url><loc>http://x.test/&x;</loc></url></urlset>""".encode()
    try:
        links = parse_sitemap(body, "http://x.test/s.xml").links
    except SitemapError:
        return  # refusing the document is as safe as ignoring the entity
    assert all("TOPSECRET" not in link.url for link in links)


def test_entity_expansion_bomb_does_not_blow_up() -> None:
    entities = "".join(
        f'<!ENTITY e{i} "{"".join(f"&e{i - 1};" for _ in range(10))}">' for i in range(1, 10))
    body = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e0 "lol">{entities}]>'
            '<rss><channel><item><title>&e9;</title><link>http://x.test/a</link></item></channel></rss>'
            ).encode()
    try:
        links = parse_feed(body, BASE)
    except FeedError:
        return
    assert all(len(link.title or "") < 10_000 for link in links)


def test_gzip_bomb_sitemap_is_refused() -> None:
    body = gzip.compress(b"<urlset>" + b" " * (60 * 1024 * 1024) + b"</urlset>")
    with pytest.raises(SitemapError, match="inflates past"):
        parse_sitemap(body, "http://x.test/s.xml.gz")


def test_malformed_entries_are_skipped_not_fatal() -> None:
    body = b"""<rss version="2.0"><channel>
    <item><title>Bad</title><link>http://[broken/news/a</link></item>
    <item><title>Good</title><link>http://x.test/news/b</link><pubDate>not a date</pubDate></item>
    </channel></rss>"""
    (good,) = parse_feed(body, BASE)
    assert (good.url, good.published) == ("http://x.test/news/b", None)
    feed = json.dumps({"items": [{"url": "http://[x"}, {"url": "http://x.test/c", "date_published": 12}]})
    (item,) = parse_feed(feed.encode(), BASE)
    assert (item.url, item.published) == ("http://x.test/c", None)
    sitemap = parse_sitemap(b"""<urlset><url><loc>http://[x</loc></url>
        <url><loc>http://x.test/d</loc></url></urlset>""", "http://x.test/s.xml")
    assert [link.url for link in sitemap.links] == ["http://x.test/d"]


RSS = '<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>{}</channel></rss>'


def rss(*items: str) -> bytes:
    return RSS.format("".join(f"<item>{item}</item>" for item in items)).encode()


def test_a_zone_named_as_python_does_not_know_it_costs_the_time_not_the_hours() -> None:
    # email.utils knows the North American names only: "09:15:00 CET" became 09:15 with no
    # offset, which the crawl and the index then read as UTC, an hour late.
    body = rss("<link>/news/a</link><pubDate>Fri, 20 Nov 2026 09:15:00 CET</pubDate>",
               "<link>/news/b</link><pubDate>Fri, 20 Nov 2026 09:15:00 GMT+0100</pubDate>",
               "<link>/news/c</link><pubDate>Fri, 20 Nov 2026 09:15:00 EST</pubDate>")
    assert [e.published for e in parse_feed(body, BASE)] == [
        "2026-11-20", "2026-11-20T09:15:00+01:00", "2026-11-20T09:15:00-05:00"]


def test_a_zone_followed_by_a_sea_of_spaces_is_read_at_once() -> None:
    # The zone's pattern backtracked over every split of the spaces between its two \s*:
    # 40,000 spaces in one pubDate held the reactor 4 s, a sitemap of such lastmods for hours.
    body = rss("<link>/news/a</link><pubDate>Fri, 20 Nov 2026 09:15:00 CET"
               + " " * 40_000 + "x</pubDate>")
    started = time.monotonic()
    assert [e.published for e in parse_feed(body, BASE)] == ["2026-11-20"]
    assert time.monotonic() - started < 1
    page = f"2026-11-20T09:15:00 GMT{' ' * 40_000}x"
    started = time.monotonic()
    assert page_date(page) == "2026-11-20T09:15:00"
    assert time.monotonic() - started < 1


def test_a_date_of_many_times_over_lines_is_read_at_once() -> None:
    # What followed the time was matched as (.*)$: "." stops at a line break, and the search
    # tried again from every later "0:00", each to its line's end: 15,000 of them in a
    # pubDate held the reactor 6 s. And a later line's zone was taken for the time's:
    # "09:15:00 X\nsee 10:30 GMT+0500" became 09:15 at +05:00.
    body = rss("<link>/news/a</link><pubDate>Fri, 20 Nov 2026 09:15:00 "
               + "0:00 " * 15_000 + "\nx</pubDate>",
               "<link>/news/b</link><pubDate>Fri, 20 Nov 2026 09:15:00 X\nsee 10:30 GMT+0500</pubDate>")
    started = time.monotonic()
    assert [e.published for e in parse_feed(body, BASE)] == ["2026-11-20", "2026-11-20"]
    assert time.monotonic() - started < 1


def test_a_day_stays_a_day_not_its_midnight() -> None:
    # "2026-11-20" became "2026-11-20T00:00:00": the article took it for its publication time,
    # a midnight nobody stated (read as UTC by the index), preferred to an honest printed day.
    news = NEWS.replace(b"2026-11-27T08:00:00+01:00", b"2026-11-20")
    link = parse_sitemap(news, "http://x.test/sitemaps/news.xml").links[0]
    assert link.published == "2026-11-20"
    words = "The harbour council voted on Tuesday to extend the ferry service for a year. " * 6
    page = ('<html><head><meta property="og:type" content="article"></head><body><article>'
            "<h1>Ferry service extended</h1>" + f"<p>{words}</p>" * 4
            + "</article></body></html>").encode()
    hints = hints_from_discovery([link.to_dict()], None, None)
    assert extract_article(page, link.url, hints).published == "2026-11-20"


def test_a_date_out_of_every_range_costs_only_its_date() -> None:
    body = rss("<link>/news/good</link>",
               "<link>/news/bad</link><pubDate>Fri, 20 Nov 99999999999999999999 09:15:00 +0000</pubDate>")
    assert [(e.url[-4:], e.published) for e in parse_feed(body, BASE)] == [
        ("good", None), ("/bad", None)]
    sitemap = (b'<urlset><url><loc>http://127.0.0.1:8765/news/a</loc>'
               b'<lastmod>2026-11-20T09:15:00+99999999999999999999</lastmod></url></urlset>')
    assert [e.published for e in parse_sitemap(sitemap, BASE).links] == [None]


def test_entries_without_a_link_are_skipped_not_read_as_the_feed_itself() -> None:
    body = rss(
        '<atom:link href="http://127.0.0.1:8765/feeds/rss.xml" rel="self"/><link>/news/a</link>',
        '<title>A podcast episode</title><guid isPermaLink="false">ep-12</guid>',
        "<title>No link at all</title>",
    )
    assert [e.url for e in parse_feed(body, BASE)] == ["http://127.0.0.1:8765/news/a"]
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>Only an enclosure</title>
      <link rel="enclosure" href="/a.mp3"/></entry><entry><title>Full rel</title>
      <link rel="http://www.iana.org/assignments/relation/alternate" href="/news/b"/></entry></feed>"""
    assert [e.url for e in parse_feed(atom, BASE)] == ["http://127.0.0.1:8765/news/b"]
    feed = {"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "12345", "title": "no url"}, {"id": "http://127.0.0.1:8765/news/c"},
        {"id": "/news/d"}]}
    assert [e.url for e in parse_feed(json.dumps(feed).encode(), BASE)] == [
        "http://127.0.0.1:8765/news/c", "http://127.0.0.1:8765/news/d"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_json_feed_with_a_byte_order_mark(encoding: str) -> None:
    feed = {"version": "https://jsonfeed.org/version/1.1", "items": [{"url": "/news/a"}]}
    (entry,) = parse_feed(json.dumps(feed).encode(encoding), BASE)
    assert entry.url == "http://127.0.0.1:8765/news/a"


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b'{"items": [' + b"9" * 5000 + b"]}"])
def test_json_that_cannot_be_read_is_a_feed_error(body: bytes) -> None:
    with pytest.raises(FeedError, match="not valid JSON Feed"):
        parse_feed(body, BASE)


def test_blank_lines_after_a_byte_order_mark() -> None:
    body = b"\xef\xbb\xbf\r\n  " + rss("<link>/news/a</link>")
    assert [e.url for e in parse_feed(body, BASE)] == ["http://127.0.0.1:8765/news/a"]


@pytest.mark.parametrize("encoding,bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")])
def test_blank_lines_after_a_utf16_byte_order_mark(encoding: str, bom: bytes) -> None:
    sitemap = ('\r\n\n  <?xml version="1.0" encoding="UTF-16"?>'
               "<urlset><url><loc>http://127.0.0.1:8765/news/a</loc></url></urlset>")
    body = bom + sitemap.encode(encoding)
    assert [e.url for e in parse_sitemap(body, BASE).links] == ["http://127.0.0.1:8765/news/a"]
    feed = bom + ("\n" + rss("<link>/news/b</link>").decode()).encode(encoding)
    assert [e.url for e in parse_feed(feed, BASE)] == ["http://127.0.0.1:8765/news/b"]


def test_gzip_sitemap_of_several_members() -> None:
    half = b"<url><loc>http://127.0.0.1:8765/news/b</loc></url></urlset>"
    body = gzip.compress(b"<urlset><url><loc>http://127.0.0.1:8765/news/a</loc></url>") + gzip.compress(half)
    assert [e.url[-1] for e in parse_sitemap(body, BASE).links] == ["a", "b"]
    junk = b"\x1f\x8b\x00 not a member"  # after a whole member, gzip tools ignore it
    whole = gzip.compress(b"<urlset>" + half)
    assert [e.url[-1] for e in parse_sitemap(whole + junk, BASE).links] == ["b"]


def test_a_sitemap_is_read_up_to_the_protocol_limit() -> None:
    from archive.discovery.sitemaps import MAX_SITEMAP_URLS

    urls = "".join(f"<url><loc>http://127.0.0.1:8765/news/{n}</loc></url>"
                   for n in range(MAX_SITEMAP_URLS + 7))
    sitemap = parse_sitemap(f"<urlset>{urls}</urlset>".encode(), BASE)
    assert (len(sitemap.links), sitemap.dropped) == (MAX_SITEMAP_URLS, 7)


def test_atom_links_resolve_against_xml_base() -> None:
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://127.0.0.1:8765/news/2026/">
      <entry><link rel="alternate" type="text/html" href="a"/></entry>
      <entry xml:base="../2025/"><link href="b"/></entry></feed>"""
    assert [e.url for e in parse_feed(body, BASE)] == [
        "http://127.0.0.1:8765/news/2026/a", "http://127.0.0.1:8765/news/2025/b"]


def test_a_feed_with_an_undefined_entity_or_a_stray_byte_keeps_its_links() -> None:
    """One &nbsp; in a description or one cp1252 byte in a UTF-8 feed lost all its links."""
    items = b"".join(b"<item><title>Story %d</title><link>https://example.com/news/%d</link>"
                     b"<description>A&nbsp;cafe\x92s tale</description></item>" % (n, n)
                     for n in range(3))
    body = b'<?xml version="1.0" encoding="utf-8"?><rss><channel>' + items + b"</channel></rss>"
    links = parse_feed(body, "https://example.com/feed")
    assert [link.url for link in links] == [f"https://example.com/news/{n}" for n in range(3)]
    with pytest.raises(FeedError):
        parse_feed(b"<html><body>not a feed at all", "https://example.com/feed")


def test_rss_items_honour_xml_base() -> None:
    body = (b'<rss><channel xml:base="https://example.com/news/"><item>'
            b"<link>2024/01/15/story</link></item></channel></rss>")
    links = parse_feed(body, "https://example.com/feeds/rss.xml")
    assert [link.url for link in links] == ["https://example.com/news/2024/01/15/story"]


def test_a_gzip_sitemap_of_many_members_is_read_whole() -> None:
    """Read in chunks: each member was handed the whole rest of the body, which zlib copied
    into unused_data member after member (a 6 MB body of tiny members: 40 s on the reactor)."""
    xml = ('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
           + "".join(f"<url><loc>http://x.test/news/{n}</loc></url>" for n in range(2000))
           + "</urlset>").encode()
    members = b"".join(gzip.compress(xml[i:i + 40]) for i in range(0, len(xml), 40))
    sitemap = parse_sitemap(members + b"trailing junk", "http://x.test/sitemap.xml.gz")
    assert [link.url for link in sitemap.links] == [f"http://x.test/news/{n}" for n in range(2000)]


def test_a_sitemap_of_millions_of_tiny_entries_is_read_as_it_comes() -> None:
    """A 127 KB gzip body of 2 million tiny <url>s built a 1.1 GB tree on the reactor thread
    before the protocol's limit was applied; the entries past it are now counted only so far."""
    from archive.discovery.sitemaps import MAX_SITEMAP_URLS

    body = gzip.compress(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                         + b"<url><loc>/a</loc></url>" * (3 * MAX_SITEMAP_URLS) + b"</urlset>")
    sitemap = parse_sitemap(body, "http://x.test/sitemap.xml.gz")
    assert (len(sitemap.links), sitemap.dropped) == (MAX_SITEMAP_URLS, MAX_SITEMAP_URLS)
    with pytest.raises(SitemapError, match="not a well-formed sitemap"):
        parse_sitemap(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                      b"<url><loc>/a</loc></url><url><loc>", "http://x.test/cut.xml")


def test_a_sitemap_index_is_read_up_to_the_protocol_limit_as_it_comes() -> None:
    """An index was read whole before its cut: 1.3 million tiny <sitemap>s (3 MB of gzip)
    held the reactor thread for 31 s, and the 1.25 million left out were never mentioned."""
    from archive.discovery.sitemaps import MAX_SITEMAP_URLS

    body = gzip.compress(b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                         + b"<sitemap><loc>/s</loc></sitemap>" * (3 * MAX_SITEMAP_URLS)
                         + b"</sitemapindex>")
    sitemap = parse_sitemap(body, "http://x.test/sitemap_index.xml.gz")
    assert sitemap.is_index
    assert (len(sitemap.links), sitemap.dropped) == (MAX_SITEMAP_URLS, MAX_SITEMAP_URLS)


def test_a_feed_gives_at_most_as_many_links_as_a_sitemap_may() -> None:
    """A 53 MB feed of 1.5 million items put every one in the crawl's frontier (~0.9 KB each)."""
    from archive.discovery.feeds import MAX_FEED_LINKS

    items = b"".join(b"<item><link>/news/%d</link></item>" % n for n in range(MAX_FEED_LINKS + 9))
    links = parse_feed(b"<rss><channel>" + items + b"</channel></rss>", BASE)
    assert len(links) == MAX_FEED_LINKS and links[-1].url.endswith(f"/news/{MAX_FEED_LINKS - 1}")
    entries = b"".join(b'<entry><link href="/a/%d"/></entry>' % n for n in range(MAX_FEED_LINKS + 9))
    atom = parse_feed(b'<feed xmlns="http://www.w3.org/2005/Atom">' + entries + b"</feed>", BASE)
    assert len(atom) == MAX_FEED_LINKS


def test_a_guid_or_an_atom_id_is_a_link_only_when_it_is_a_url() -> None:
    rss = (b"<rss><channel><item><guid>12345</guid></item>"
           b"<item><guid>https://example.com/news/b</guid></item></channel></rss>")
    assert [link.url for link in parse_feed(rss, BASE)] == ["https://example.com/news/b"]
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>https://example.com/news/c</id>'
            b"</entry><entry><id>tag:example.com,2026:d</id></entry></feed>")
    assert [link.url for link in parse_feed(atom, BASE)] == ["https://example.com/news/c"]


def test_dates_of_change_are_kept_beside_publication() -> None:
    # A corrected entry says so in Atom's updated, JSON Feed's date_modified and a news
    # sitemap entry's lastmod, beside the publication date a source gives first: the crawl
    # fetches an archived article again when one comes after its last fetch.
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="http://x.test/a"/>
    <published>2026-11-20T06:15:00Z</published><updated>2026-11-22T10:00:00Z</updated></entry></feed>"""
    (entry,) = parse_feed(atom, BASE)
    assert (entry.published, entry.modified) == ("2026-11-20T06:15:00+00:00", "2026-11-22T10:00:00+00:00")
    jsonfeed = json.dumps({"items": [{"url": "http://x.test/a", "date_published": "2026-11-20T06:15:00Z",
                                      "date_modified": "2026-11-22T10:00:00Z"}]}).encode()
    (item,) = parse_feed(jsonfeed, BASE)
    assert item.modified == "2026-11-22T10:00:00+00:00"
    news = NEWS.replace(b"<loc>http://x.test/news/a</loc>",
                        b"<loc>http://x.test/news/a</loc><lastmod>2026-11-28T09:00:00Z</lastmod>")
    first, _ = parse_sitemap(news, "http://x.test/sitemaps/news.xml").links
    assert (first.published, first.modified) == ("2026-11-27T08:00:00+01:00", "2026-11-28T09:00:00+00:00")


@pytest.mark.parametrize(("written", "read"), [
    ("2026-11-20+01:00", "2026-11-20"),  # a day with its zone (xs:date) is a day, not 01:00
    ("2026-11-20Z", "2026-11-20"),
    ("2026-11-20t10:00:00z", "2026-11-20T10:00:00+00:00"),  # ISO 8601 allows lower case
    ("2026-11-20", "2026-11-20"),
    ("2026-11-20T10:00:00+01:00", "2026-11-20T10:00:00+01:00"),
])
def test_a_sitemaps_date_is_read_as_written(written: str, read: str) -> None:
    from archive.discovery.entries import normalise_date

    assert normalise_date(written) == read
