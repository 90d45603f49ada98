"""extract_article keeps its contract on hostile or malformed pages: a status, never an
exception; fields of the promised types and ranges; no page lost for one bad attribute."""

from __future__ import annotations

import pytest

from archive.extract import ExtractionHints, extract_article

URL = "https://news.example/2024/05/06/budget"
BODY = "<p>" + "The council approved the budget after a long debate on the harbour. " * 9 + "</p>"


def page(head: str = "", body: str = BODY) -> bytes:
    return (f"<html lang='en'><head><meta charset='utf-8'><title>Budget approved by council</title>"
            f"{head}</head><body><article><h1>Budget approved by council</h1>{body}</article>"
            "</body></html>").encode()


@pytest.mark.parametrize("head", [
    '<link rel="canonical" href="https://news.example:99999/2024/05/06/budget">',
    '<link rel="canonical" href="javascript:void(0)"><meta property="og:image" content="data:,x">',
    '<link rel="canonical" href="mailto:desk@news.example">',
    '<meta property="og:image" content="https://[::1/x.jpg"><meta property="og:url" content="http://]x/">',
    '<script type="application/ld+json">{"@type": "NewsArticle", "image": "javascript:alert(1)"}</script>',
])
def test_urls_that_are_no_web_urls_are_not_kept(head: str) -> None:
    """A port of 99999 failed the crawl's canonical adoption (the page lost its metadata
    record); "http://[broken" raised and the whole page came out "error"."""
    result = extract_article(page(head), URL)
    assert result.status == "ok" and "approved the budget" in result.text
    assert result.canonical_url is None and result.image is None


def test_relative_urls_are_resolved_against_the_page() -> None:
    result = extract_article(page('<link rel="canonical" href="/2024/05/06/budget?x=1">'
                                  '<meta property="og:image" content="//cdn.news.example/a.jpg">'), URL)
    assert result.canonical_url == "https://news.example/2024/05/06/budget?x=1"
    assert result.image == "https://cdn.news.example/a.jpg"


def test_relative_urls_are_resolved_against_the_pages_base() -> None:
    # As a browser resolves them (HTML: the document base URL). Against the page's own URL,
    # "2024/05/06/budget" became ".../2024/05/06/2024/05/06/budget": an article URL by the
    # site's patterns, so the crawl stored the story there and its real URL as an alias.
    result = extract_article(page('<base href="/">'
                                  '<link rel="canonical" href="2024/05/06/budget">'
                                  '<meta property="og:image" content="img/a.jpg">'), URL)
    assert result.canonical_url == URL
    assert result.image == "https://news.example/img/a.jpg"


def test_json_ld_nested_beyond_the_parsers_reach_is_skipped() -> None:
    deep = '{"a": ' * 5000 + "1" + "}" * 5000
    result = extract_article(page(f'<script type="application/ld+json">{deep}</script>'), URL)
    assert result.status == "ok" and result.title == "Budget approved by council"


@pytest.mark.parametrize("head", [
    '<meta property="article:published_time" content="2099-03-04T10:00:00Z">',
    '<meta property="article:published_time" content="March 4, 2099">',
    '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "4 March 1901"}</script>',
])
def test_dates_out_of_range_are_not_candidates(head: str) -> None:
    """normalise_date refused them, but the text-date fallback after it had no range check."""
    result = extract_article(page(head), "https://news.example/budget")
    assert result.published is None and result.date_candidates == []


def test_dates_are_judged_as_of_the_fetch() -> None:
    """Extracted again a year on, a page's date still to come at its fetch was taken for its own."""
    head = ('<meta property="article:published_time" content="2025-06-01T10:00:00Z">'
            '<meta property="article:modified_time" content="2025-06-02T10:00:00Z">')
    url = "https://news.example/budget"
    then = extract_article(page(head), url, ExtractionHints(fetched_at="2025-01-10T08:00:00+00:00"))
    assert (then.published, then.modified, then.date_candidates) == (None, None, [])
    later = extract_article(page(head), url, ExtractionHints(fetched_at="2025-06-03T08:00:00+00:00"))
    assert (later.published, later.modified) == ("2025-06-01T10:00:00+00:00", "2025-06-02T10:00:00+00:00")


def test_an_updated_line_out_of_range_is_no_modified_date() -> None:
    result = extract_article(page('<meta property="article:published_time" content="2024-03-03">',
                                  "<p>Updated March 4, 1905</p>" + BODY), URL)
    assert result.published == "2024-03-03" and result.modified is None


@pytest.mark.parametrize(("stated", "published"), [
    ("2024-03-04T10:00:00+99:99", "2024-03-04"),
    ("2024-03-04T10:00:00+530", "2024-03-04"),
    ("2024-03-04T10:00:00-2500", "2024-03-04"),
    ("2024-03-04T10:00:00 CEST", "2024-03-04"),
    ("2024-03-04T10:00:00 EST", "2024-03-04T10:00:00-05:00"),
    ("2024-03-04 10:00:00 GMT+0200", "2024-03-04T10:00:00+02:00"),
    ("2024-03-04T10:00:00+05:30", "2024-03-04T10:00:00+05:30"),
    # RFC 822 (feeds, JavaScript's Date): email.utils knows only the North American names,
    # and gave a time without an offset for the others, read as UTC.
    ("Mon, 04 Mar 2024 10:00:00 CET", "2024-03-04"),
    ("Mon, 04 Mar 2024 10:00 MSK", "2024-03-04"),
    ("Mon, 04 Mar 2024 10:00:00 GMT+0200", "2024-03-04T10:00:00+02:00"),
    ("Mon Mar 04 2024 10:00:00 GMT+0100 (Central European Standard Time)",
     "2024-03-04T10:00:00+01:00"),
    ("Mon, 04 Mar 2024 10:00:00 GMT+9900", "2024-03-04"),
    ("Mon, 04 Mar 2024 10:00:00 EST", "2024-03-04T10:00:00-05:00"),
    ("Mon, 04 Mar 2024 10:00:00 +0100 (CET)", "2024-03-04T10:00:00+01:00"),
    ("Mon Mar  4 10:00:00 2024", "2024-03-04T10:00:00"),
])
def test_time_zones_are_kept_only_when_valid(stated: str, published: str) -> None:
    """An offset of +99:99 was kept (the index's published_utc became NULL), and a named zone
    dropped (the time was then read as UTC, hours off)."""
    result = extract_article(page(f'<meta property="article:published_time" content="{stated}">'), URL)
    assert result.published == published


def test_thousands_of_tags_and_dates_are_capped_and_cheap() -> None:
    """`not in` a list made 40,000 keywords cost 12.6 s and 20,000 date metas pass the pool's
    30 s limit; all of them went into the metadata record and the index."""
    keywords = ",".join(f"tag{n}" for n in range(40_000))
    metas = "".join(f'<meta property="article:published_time" content="2024-01-01T00:{n // 60:02d}:'
                    f'{n % 60:02d}Z">' for n in range(3000))
    result = extract_article(page(f'<meta name="keywords" content="{keywords}">{metas}'), URL)
    assert result.tags == [f"tag{n}" for n in range(100)]
    assert len(result.date_candidates) == 100
    assert result.published == "2024-01-01T00:00:00+00:00"


def test_a_feed_title_is_one_line_and_a_blank_one_is_none() -> None:
    bare = b"<html><body><article>" + BODY.encode() + b"</article></body></html>"
    for feed_title, title in (("Council approves\n      the budget", "Council approves the budget"),
                              ("   ", None)):
        result = extract_article(bare, URL, ExtractionHints(feed_title=feed_title))
        assert result.title == title


def test_a_comment_marked_up_as_one_is_not_article_text() -> None:
    comment = ('<div itemprop="comment" itemscope itemtype="https://schema.org/Comment">'
               '<span itemprop="author">Bob</span><p itemprop="text">I totally disagree with this, '
               "the council is wrong about everything and should resign.</p></div>")
    result = extract_article(page(body=BODY + comment), URL)
    assert "approved the budget" in result.text and "should resign" not in result.text


@pytest.mark.parametrize("byline", ["By Monday", "Facebook", "By Twitter"])
def test_a_day_or_a_share_button_in_the_byline_slot_is_no_author(byline: str) -> None:
    result = extract_article(page(body=f'<p class="byline">{byline}</p>' + BODY), URL)
    assert result.authors == []


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_read_as_utf16(encoding: str) -> None:
    """Mostly ASCII markup in UTF-16 is valid UTF-8 too: it came out with the NULs dropped and
    every Cyrillic letter garbled ('!>25B CB25@48;'), status ok."""
    html = ("<html><head><title>Новости</title></head><body><article><h1>Совет утвердил бюджет</h1>"
            "<p>" + "Городской совет во вторник утвердил новый бюджет на следующий год. " * 8
            + "</p></article></body></html>")
    result = extract_article(html.encode(encoding), "https://news.example.ru/2024/03/04/budget")
    assert result.title == "Совет утвердил бюджет" and "Городской совет" in result.text


def test_an_inline_script_over_libxml2s_text_limit_does_not_cost_the_body() -> None:
    """libxml2 stops at a text node over 10 MB: an 11 MB state blob in <head> (__NEXT_DATA__)
    lost the page its whole body, status "empty"."""
    blob = ('<script id="__NEXT_DATA__" type="application/json">{"props": "'
            + "a" * 11_000_000 + '"}</script>')
    result = extract_article(page(blob), URL)
    assert result.status == "ok" and "approved the budget" in result.text
    assert result.title == "Budget approved by council"
