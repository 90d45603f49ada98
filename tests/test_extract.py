"""extract_article on saved pages: body without furniture, metadata, dates and their sources, status."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable
from pathlib import Path

import brotli
import pytest

from archive.extract import ArticleExtraction, DateCandidate, ExtractionHints, extract_article

PAGES = Path(__file__).parent / "data" / "pages"
SITE = "https://coastal-ledger.example"


def load(name: str) -> bytes:
    return (PAGES / name).read_bytes()


@pytest.fixture(scope="module")
def news() -> ArticleExtraction:
    return extract_article(load("news-article.html"), f"{SITE}/local/harbour-town-sea-wall")


def test_news_article_body_keeps_every_paragraph(news: ArticleExtraction) -> None:
    assert news.status == "ok"
    assert news.text.startswith("Councillors in Harbour Town voted on Monday evening")
    assert "Quay Street residents' association" in news.text
    assert news.text.endswith("Work is due to start in the autumn.")


@pytest.mark.parametrize(
    "furniture",
    [
        "Sign up to our newsletter",  # newsletter box
        "please consider making a donation",  # donation appeal
        "Donate now",
        "Read more",  # "Read more" list
        "Who pays for the town's flood defences?",
        "Photo: Jane Doe",  # photo credit
        "My basement has been wet",  # comments
        "seagull42",
        "Independent journalism needs you",  # support banner
        "All rights reserved",
        "Harbour Town Votes to Rebuild",  # the headline is not body text
    ],
)
def test_news_article_body_has_no_furniture(news: ArticleExtraction, furniture: str) -> None:
    assert furniture not in news.text


def test_news_article_metadata(news: ArticleExtraction) -> None:
    assert news.title == "Harbour Town Votes to Rebuild Its Flooded Sea Wall"
    assert news.authors == ["Maria Okafor", "Tom Lindqvist"]
    assert news.published == "2024-03-05T09:30:00+00:00"
    assert news.modified == "2024-03-05T11:02:00+00:00"
    assert news.date_source == "json_ld"
    assert news.language == "en"
    assert news.sitename == "The Coastal Ledger"
    assert news.section == "Local"
    assert news.tags == ["Flooding", "Harbour Town"]
    assert news.image == f"{SITE}/img/sea-wall.jpg"
    assert news.canonical_url == f"{SITE}/local/2024/03/05/harbour-town-sea-wall"
    assert news.description and news.description.startswith("Councillors approved")


def test_round_trips_through_a_dict(news: ArticleExtraction) -> None:
    assert ArticleExtraction.from_dict(news.to_dict()) == news


@pytest.mark.parametrize(("free", "gated"), [("false", True), ('"False"', True), ("true", False),
                                             (None, False)])
def test_a_page_not_free_to_read_is_an_article_marked_gated(free: str | None, gated: bool) -> None:
    # A paywall's teaser of a hundred words and more is an article: the index needs to know
    # it is one, to show the free full text it archived before the paywall went up.
    access = "" if free is None else f', "isAccessibleForFree": {free}'
    ld = f'<script type="application/ld+json">{{"@type": "NewsArticle"{access}}}</script>'
    teaser = "The ferry operator told the harbour council its winter plans on Tuesday. " * 12
    page = (f"<html><head><title>Ferry kept</title>{ld}</head><body><article><h1>Ferry kept</h1>"
            f"<p>{teaser}</p></article></body></html>").encode()
    result = extract_article(page, f"{SITE}/local/ferry")
    assert (result.status, result.gated) == ("ok", gated)
    assert result.to_dict()["gated"] is gated
    assert ArticleExtraction.from_dict({k: v for k, v in result.to_dict().items()
                                        if k != "gated"}).gated is False


def test_tag_page_is_not_an_article() -> None:
    result = extract_article(load("tag-page.html"), f"{SITE}/tag/flooding")
    assert result.status == "not_article"
    assert result.reason and "listing" in result.reason


def test_about_page_is_not_an_article() -> None:
    result = extract_article(load("about-page.html"), f"{SITE}/about")
    assert result.status == "not_article"
    assert result.reason
    assert result.published is None


def test_cp1251_page_with_a_wrong_charset_claim_decodes() -> None:
    body = load("cp1251-wrong-charset.html")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    result = extract_article(body, "https://vestnik.example/city/most")
    assert result.status == "ok"
    assert result.title == "В Калининграде открыли новый мост через Преголю"
    assert "движение по новому мосту через реку Преголю" in result.text
    assert result.authors == ["Ирина Соколова"]
    assert result.language == "ru"


@pytest.mark.parametrize("compress", [gzip.compress, brotli.compress, zlib.compress])
def test_a_compressed_body_its_server_did_not_declare_is_read_decompressed(
    compress: Callable[[bytes], bytes], news: ArticleExtraction
) -> None:
    # Markup is read as it is; anything else goes through trafilatura's sniffing first.
    result = extract_article(compress(load("news-article.html")), f"{SITE}/local/harbour-town-sea-wall")
    assert (result.status, result.title, result.text) == ("ok", news.title, news.text)


def test_markup_after_blank_lines_and_a_byte_order_mark_is_read_as_it_is(news: ArticleExtraction) -> None:
    body = b"\xef\xbb\xbf\n\n  " + load("news-article.html")
    result = extract_article(body, f"{SITE}/local/harbour-town-sea-wall")
    assert (result.status, result.title, result.text) == ("ok", news.title, news.text)


def test_json_ld_date_wins_over_meta_and_url_and_all_are_kept() -> None:
    url = "https://riverside.example/news/2023/06/03/library-late"
    result = extract_article(load("dates-jsonld-meta-url.html"), url)
    assert result.published == "2023-06-01T08:00:00+02:00"
    assert result.date_source == "json_ld"
    assert result.date_candidates == [
        DateCandidate("2023-06-01T08:00:00+02:00", "json_ld"),
        DateCandidate("2023-06-02T10:00:00+02:00", "meta"),
        DateCandidate("2023-06-03", "url"),
    ]
    assert result.authors == ["Sam Carter"]


def test_meta_date_wins_over_url() -> None:
    url = "https://riverside.example/news/2023/06/03/library-late"
    result = extract_article(load("dates-meta-only.html"), url)
    assert (result.published, result.date_source) == ("2023-06-02T10:00:00+02:00", "meta")


def test_time_element_keeps_its_offset() -> None:
    result = extract_article(load("dates-time-element.html"), "https://riverside.example/library")
    assert (result.published, result.date_source) == ("2023-06-04T07:45:00-04:00", "html")


def test_url_date_when_the_page_states_none() -> None:
    url = "https://riverside.example/news/2023/06/03/library-late"
    result = extract_article(load("dates-none-copyright-footer.html"), url)
    assert (result.published, result.date_source) == ("2023-06-03", "url")


def test_copyright_footer_never_becomes_a_date() -> None:
    url = "https://riverside.example/news/library-late"
    result = extract_article(load("dates-none-copyright-footer.html"), url)
    assert result.published is None
    assert result.date_source is None
    assert result.date_candidates == []


def test_crawl_hints_are_candidates_and_fill_in_when_the_page_has_no_date() -> None:
    hints = ExtractionHints(
        feed_published="Sat, 03 Jun 2023 06:00:00 +0000",
        sitemap_published="2023-06-03T06:00:00Z",
        http_last_modified="Sun, 04 Jun 2023 00:00:00 GMT",
    )
    url = "https://riverside.example/news/library-late"
    result = extract_article(load("dates-none-copyright-footer.html"), url, hints)
    assert result.published == "2023-06-03T06:00:00+00:00"
    assert result.date_source == "feed"
    assert [c.source for c in result.date_candidates] == [
        "feed", "news_sitemap", "http_last_modified"
    ]


def test_last_modified_alone_is_not_a_publication_date() -> None:
    hints = ExtractionHints(http_last_modified="Sun, 04 Jun 2023 00:00:00 GMT")
    result = extract_article(
        load("dates-none-copyright-footer.html"), "https://riverside.example/library", hints
    )
    assert result.published is None
    assert result.date_candidates == [
        DateCandidate("2023-06-04T00:00:00+00:00", "http_last_modified")
    ]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"", "empty"),
        (b"<html><body></body></html>", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "empty"),
    ],
)
def test_degenerate_input_gives_a_status_not_an_exception(body: bytes, status: str) -> None:
    result = extract_article(body, "https://example.com/x")
    assert result.status == status
    assert result.reason


def test_javascript_shell_is_not_an_article() -> None:
    body = (
        b"<html><head><title>News</title></head><body><div id='root'></div>"
        b"<noscript>You need to enable JavaScript to run this app.</noscript>"
        b"<script src='/app.js'></script></body></html>"
    )
    result = extract_article(body, "https://example.com/story")
    assert result.status == "not_article"
    assert result.reason and "javascript" in result.reason


def test_soft_404_is_not_an_article() -> None:
    body = (
        b"<html><head><title>Page not found | Riverside Post</title></head><body>"
        b"<h1>Sorry, we could not find that page</h1><p>Try the search box or go to the"
        b" home page.</p></body></html>"
    )
    result = extract_article(body, "https://riverside.example/gone")
    assert result.status == "not_article"
    assert result.reason and "404" in result.reason


def test_decoded_text_is_refused() -> None:
    with pytest.raises(TypeError, match="raw bytes"):
        extract_article("<html></html>", "https://example.com/x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="URL as str"):
        extract_article(b"<html></html>", None)  # type: ignore[arg-type]


def test_code_comments_are_not_page_comments() -> None:
    # Syntax highlighters mark code comments with classes such as "hljs-comment".
    prose = "<p>" + "Git keeps every version of every file, so nothing is ever lost. " * 4 + "</p>"
    code = (
        '<pre><code><span class="hljs-comment"># initialise the repository</span>\n'
        "git init\n</code></pre>"
    )
    body = (
        "<html><head><title>Git basics</title></head><body><article><h1>Git basics</h1>"
        f"{prose}{code}{prose}</article></body></html>"
    ).encode()
    result = extract_article(body, "https://blog.example/git-basics")
    assert "# initialise the repository" in result.text


@pytest.mark.parametrize(
    "marker",
    ["ad", "ads-slot", "head", "shadow", "bio", "biography", "author-bio", "cta", "octa", "commentary",
     "comments", "cookie-banner", "cookie", "credit", "photo-credit", "share-bar", "about-the-author",
     "support-us", "subscription", "entry-content", "wp-block-embed", "taboola-below"],
)
def test_furniture_words_grouped_by_first_letter_match_as_the_plain_alternation(marker: str) -> None:
    import re

    from archive.extraction.boilerplate import _FURNITURE, _FURNITURE_WORDS

    plain = re.compile("|".join(_FURNITURE_WORDS))
    assert bool(_FURNITURE.search(marker)) == bool(plain.search(marker))


@pytest.mark.parametrize("teasers", [3, 4])
def test_link_text_is_measured_on_pages_with_enough_teasers_to_read_it(teasers: int) -> None:
    from lxml import html as lxml_html

    from archive.extraction.classify import measure

    cards = "".join(
        f"<h2><a href='/s{i}'>Story number {i} here</a></h2><p>Blurb {i}.</p>" for i in range(teasers)
    )
    shape = measure(lxml_html.document_fromstring(f"<html><body><main>{cards}</main></body></html>"))
    assert shape.linked_headings == teasers
    if teasers >= 4:
        assert shape.link_chars == sum(len(f"Story number {i} here") for i in range(teasers))
    else:
        assert shape.link_chars is None


def test_a_worker_does_not_keep_the_paragraphs_that_open_boxes() -> None:
    # Box labels ("Read more") are remembered from page to page; whole paragraphs that open
    # text boxes must not be, or a long-lived worker grows with every page it reads.
    from archive.extraction import boilerplate

    paragraph = "The council met on Tuesday to discuss the harbour wall and its repairs"
    boxes = "".join(f"<div class='post'>{paragraph} {n}<br>More of box {n}.</div>" for n in range(20))
    page = f"<html><body><article><h1>Harbour</h1>{boxes}<div>Read more<br><a href='/x'>X</a></div>"
    extract_article(f"{page}</article></body></html>".encode(), "https://ledger.example/news/harbour")
    assert "Read more" in boilerplate._LABELS
    assert not any(paragraph in label for label in boilerplate._LABELS)


def test_control_characters_and_lone_surrogates_are_not_kept() -> None:
    # JSON-LD escapes reach the result as characters: an ESC in a title is a command to the
    # terminal that prints it, and a lone surrogate cannot be written as UTF-8 (the page's
    # metadata record failed to encode, and the capture was lost from the index).
    page = (
        '<html><head><title>Harbour \x1b]0;pwned\x07 plan</title>'
        '<script type="application/ld+json">{"@type": "NewsArticle",'
        ' "headline": "Harbour \\u001b]0;pwned\\u0007 plan", "description": "A \\u001b[31m note",'
        ' "author": {"@type": "Person", "name": "Ann \\udc00 Lee"}, "datePublished": "2026-11-20"}'
        "</script></head><body><article><p>"
        + "Tide tables give the height of the water for every hour of the day. " * 8
        + "\x1b[2J</p></article></body></html>"
    )
    result = extract_article(page.encode(), "https://riverside.example/news/harbour-plan")
    assert result.status == "ok"
    assert result.title == "Harbour ]0;pwned plan"
    assert result.description == "A [31m note" and result.authors == ["Ann Lee"]
    assert "\x1b" not in result.text and "Tide tables give" in result.text
    json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")  # raised before


def test_text_that_is_not_double_encoded_is_left_as_it_is() -> None:
    """"ß“", "Ö" and a no-break space, "É…" are pairs a double-encoded page also holds: repaired
    unasked they became "ߓ" (an NKo letter), a Hebrew accent and "Ʌ" on a valid UTF-8 page."""
    lines = ["Die Stadt nannte den Umbau „groß“ und teuer.", "Die SPÖ\u00a0stimmten dagegen.",
             "Das CAFÉ… blieb geöffnet, sagte der Wirt."]
    page = (
        "<html lang='de'><head><meta charset='utf-8'><title>Der Umbau am Hafen</title></head>"
        "<body><article><h1>Der Umbau am Hafen</h1>"
        + "".join(f"<p>{line} " + "Der Hafen bleibt bis zum Frühjahr eine Baustelle. " * 6 + "</p>"
                  for line in lines)
        + "</article></body></html>"
    )
    result = extract_article(page.encode(), "https://hafen.example/2026/11/20/umbau")
    assert result.status == "ok"
    for line in lines:  # (trafilatura writes a no-break space as a space)
        assert line.replace("\u00a0", " ") in result.text
    # A page whose text is double-encoded is still repaired.
    broken = page.replace("„groß“", "â€žgroÃŸâ€œ").replace("Frühjahr", "FrÃ¼hjahr")
    repaired = extract_article(broken.encode(), "https://hafen.example/2026/11/20/umbau")
    assert lines[0] in repaired.text and "Frühjahr" in repaired.text and "Ã" not in repaired.text
    russian = ("<html lang='ru'><head><meta charset='utf-8'><title>Новый мост</title></head><body>"
               "<article><h1>Новый мост</h1><p>" + "Движение по новому мосту открыли утром. " * 8
               + "</p></article></body></html>")
    read_as_latin1 = russian.encode("utf-8").decode("latin-1").encode("utf-8")
    result = extract_article(read_as_latin1, "https://vestnik.example/2026/11/20/most")
    assert "Движение по новому мосту открыли утром." in result.text


CHINESE_SENTENCES = [
    "据介绍，该线路采用全自动驾驶技术，最高运行速度可达每小时一百公里。",
    "早晚高峰最小发车间隔为三分钟，将极大缓解城市北部地区的交通压力。",
    "市民王先生表示，新线路开通后，他每天上班的通勤时间将缩短近半个小时。",
    "该线路全长约三十公里，共设车站二十座，其中换乘站八座，连接多个大型居住区。",
    "北京市交通委员会表示，明年还将有三条新线路陆续开通运营，进一步完善城市轨道交通网络。",
    "沿线居民对新线路的开通表示欢迎，认为这将极大改善他们的出行条件和生活质量。",
    "为保障开通初期的运营安全，地铁公司在各车站增派了工作人员，引导乘客有序乘车。",
    "据统计，开通首日客流量超过十五万人次，各车站运行秩序良好，未发生明显拥堵。",
]


def test_a_chinese_story_without_markup_or_date_is_counted_by_its_words_not_its_spaces() -> None:
    # Eight paragraphs, 280 characters (some 180 words): a short story, eight "words" to split().
    paragraphs = "".join(f"<p>{s}</p>" for s in CHINESE_SENTENCES)
    html = (
        "<html lang='zh-CN'><head><title>北京地铁新线路开通</title></head><body><div class='main'>"
        f"<h1>北京地铁新线路开通</h1><div class='content'>{paragraphs}</div></div></body></html>"
    )
    result = extract_article(html.encode(), "https://news.example.cn/content_123.htm")
    assert result.status == "ok", result.reason


@pytest.mark.parametrize(
    ("lang", "charset", "headline", "sentence"),
    [
        ("tr", "cp1254", "Marmara'da büyüklüğünde deprem",
         "AFAD, Marmara Denizi'nde büyük bir deprem meydana geldiğini duyurdu ve ekipler inceleme yapıyor."),
        ("pl", "iso8859_2", "Sejm uchwalił budżet na przyszły rok",
         "Sejm przyjął w środę ustawę budżetową, a opozycja zapowiedziała skierowanie jej do Trybunału."),
    ],
)
def test_a_legacy_encoded_page_without_a_charset_is_read_in_its_languages_encoding(
    lang: str, charset: str, headline: str, sentence: str
) -> None:
    # No charset declared: the detector ranked windows-1250 and ISO-8859-10 first for these.
    html = (
        f"<html lang='{lang}'><head><title>{headline}</title></head><body><article>"
        f"<h1>{headline}</h1>{f'<p>{sentence}</p>' * 4}</article></body></html>"
    )
    result = extract_article(html.encode(charset), "https://news.example/haber/123")
    assert result.title == headline
    assert sentence in (result.text or "")
