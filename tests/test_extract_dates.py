"""Which publication date extract_article chooses: printed datelines, markup, updates, prose."""

from __future__ import annotations

import pytest

from archive.extract import ArticleExtraction, ExtractionHints, extract_article
from archive.extraction.model import DateCandidate
from archive.extraction.textdates import find_text_date, in_sentence, publication_label

URL = "https://riverside.example/notes/reading-the-tide-tables"
PROSE = "<p>" + "Tide tables give the height of the water for every hour of the day. " * 6 + "</p>"


def page(head: str = "", byline: str = "", body: str = PROSE) -> ArticleExtraction:
    html = (
        f"<html lang='en'><head><title>Reading the tide tables</title>{head}</head><body>"
        f"<article><h1>Reading the tide tables</h1>{byline}{body}</article></body></html>"
    )
    return extract_article(html.encode(), URL)


def ld(**dates: str) -> str:
    fields = ", ".join(f'"{k}": "{v}"' for k, v in dates.items())
    return f'<script type="application/ld+json">{{"@type": "Article", {fields}}}</script>'


def test_printed_date_the_markup_also_states_beats_an_earlier_structured_date() -> None:
    # The byline's <time> says 12 May 2024; the JSON-LD keeps the CMS creation date.
    result = page(
        ld(datePublished="2019-02-01T10:00:00+00:00"),
        "<div class='byline'><span>By Ada Byrne</span>"
        "<time datetime='2024-05-12T09:00:00+01:00'>May 12, 2024</time></div>",
    )
    assert result.published == "2024-05-12T09:00:00+01:00"


def test_later_printed_date_alone_is_still_taken_for_an_unlabelled_update() -> None:
    result = page(
        ld(datePublished="2019-02-01T10:00:00+00:00"),
        "<div class='byline'><span>By Ada Byrne</span><span>May 12, 2024</span></div>",
    )
    assert result.published == "2019-02-01T10:00:00+00:00"


def test_printed_local_day_stays_when_the_markup_states_it_with_its_offset() -> None:
    # 21:30 in New York is already the next day in UTC: the page's day is the local one.
    result = page(
        '<meta property="article:published_time" content="2024-05-13T01:30:00+00:00">',
        "<div class='byline'>Posted on "
        "<time datetime='2024-05-12T21:30:00-04:00'>May 12, 2024</time></div>",
    )
    assert result.published is not None
    assert result.published[:10] == "2024-05-12"


def test_printed_day_one_off_a_utc_timestamp_is_the_timestamp() -> None:
    result = page(
        '<meta property="article:published_time" content="2024-05-12T23:30:00+00:00">',
        "<div class='byline'>Published: 13 May 2024</div>",
    )
    assert result.published == "2024-05-12T23:30:00+00:00"


def test_updated_line_under_an_author_box_dates_a_page_that_states_nothing_else() -> None:
    author_box = "<div class='author'>" + "<span>Harbour pilot</span>" * 12 + "</div>"
    result = page(byline=f"<p>By Ada Byrne</p>{author_box}<p>Updated March 3, 2024</p>")
    assert result.published == "2024-03-03"


def test_date_mentioned_in_a_sentence_is_not_a_dateline() -> None:
    body = (
        "<p>The harbour office will publish the next tables on March 3, 2024, once the"
        " survey boats are back in port and the soundings have been checked.</p>" + PROSE
    )
    result = page(body=body)
    assert result.published is None
    assert result.date_candidates == []


def test_in_sentence_tells_prose_from_datelines() -> None:
    assert not in_sentence("Published on 3 March 2024 at 9:06 am CST", month_first=True)
    assert not in_sentence("By Ada Byrne | Updated March 3, 2024", month_first=True)
    assert in_sentence(
        "Editor's note: on March 3, 2024 we added two new harbours to this guide",
        month_first=True,
    )


def test_iso_timestamp_printed_as_text_is_a_dateline() -> None:
    result = page(byline="<p class='byline'>Ada Byrne <span>2022-11-23T08:10+02:00</span></p>")
    assert result.published == "2022-11-23"


def test_dates_of_a_listing_under_the_headline_are_not_the_pages() -> None:
    events = "".join(
        f"<div class='event'><p>March {day}, 2026</p><p>Harbour open day</p></div>"
        for day in (16, 17, 18, 19)
    )
    result = page(byline=events)
    assert result.published is None


def test_year_first_bibliographic_date_is_read() -> None:
    # Scholarly pages state citation_publication_date as PubMed prints it.
    result = page('<meta name="citation_publication_date" content="2023 Jan 7">')
    assert result.published == "2023-01-07"
    assert find_text_date("Vol 12. 2021 March 5, 2024", month_first=True) == ("2024-03-05", False)


def test_month_name_in_capitals_that_lower_does_not_map_back_is_read() -> None:
    # "ARALIK" is Turkish "aralık" (December): its "I" lower-cases to "i", not to "ı".
    assert find_text_date("ARALIK 3, 2019", month_first=True) == ("2019-12-03", False)
    assert find_text_date("3 ARALIK 2019", month_first=False) == ("2019-12-03", False)


def test_time_in_the_articles_own_footer_dates_it() -> None:
    footer = (
        "<footer class='article-footer'><span class='tags'>Tides</span>"
        "<time datetime='2024-05-12T09:00:00Z'>May 12, 2024</time></footer>"
    )
    result = page(body=PROSE + footer)
    assert result.published == "2024-05-12T09:00:00+00:00"


def test_time_in_the_pages_footer_does_not_date_the_article() -> None:
    html = (
        "<html lang='en'><head><title>Reading the tide tables</title></head><body>"
        f"<article><h1>Reading the tide tables</h1>{PROSE}</article>"
        "<footer><p>Site news</p><time datetime='2020-01-01'>1 January 2020</time></footer>"
        "</body></html>"
    )
    assert extract_article(html.encode(), URL).published is None


def test_named_publication_meta_beats_a_bare_date_meta() -> None:
    result = page(
        '<meta name="date" content="2026-03-09T08:45:00Z">'
        '<meta name="published-date" content="2021-02-16">'
    )
    assert result.published == "2021-02-16"
    assert DateCandidate("2026-03-09T08:45:00+00:00", "meta") in result.date_candidates


def test_published_label_far_from_the_headline_beats_a_structured_date() -> None:
    # The markup's dates are a CMS creation and a re-save; the page prints its own.
    author_box = "<div class='author'>" + "<span>Harbour pilot</span>" * 40 + "</div>"
    result = page(
        ld(datePublished="2025-11-29T12:28:31-05:00")
        + '<meta property="article:published_time" content="2025-08-08T00:00:00-04:00">',
        f"{author_box}<p><b>Published</b> <span>August 13, 2025</span></p>",
    )
    assert result.published == "2025-08-13"


def test_labelled_date_the_markup_states_wins_over_an_earlier_labelled_one() -> None:
    result = page(
        '<meta property="article:published_time" content="2019-06-25">',
        "<p class='note'>A preprint is available, first published 04 Apr 2019</p>"
        "<p class='byline'>Published on 25 Jun 2019</p>",
    )
    assert result.published == "2019-06-25"


def test_originally_published_note_dates_a_republished_page() -> None:
    note = (
        "<p><em>This article was originally published on 26 Sep 2019 at 4:12pm but has"
        " been regularly updated with the latest tide tables for the estuary.</em></p>"
    )
    result = page(byline="<p class='byline'>Ada Byrne 30 Sep 2022</p>", body=note + PROSE)
    assert result.published == "2019-09-26"
    assert DateCandidate("2022-09-30", "html") in result.date_candidates


def test_last_published_is_no_publication_label() -> None:
    assert publication_label("12 followers · Last published Apr 8, 2024", month_first=True) is None
    assert publication_label("Veröffentlicht am 3. März 2024", month_first=False) == "published"
    assert publication_label("Posted: 2024-03-03", month_first=True) == "published"


def test_published_line_dates_an_otherwise_undated_page_far_down() -> None:
    # Past the reach of datelines: 400 table cells between the headline and the line.
    table = "<table>" + "<tr><td>Harbour</td><td>High water</td></tr>" * 140 + "</table>"
    result = page(body=PROSE + table + "<p><span>Published On: 15 August 2025</span></p>")
    assert result.published == "2025-08-15"


def test_updated_line_below_the_summary_dates_a_page_that_states_nothing_else() -> None:
    summary = "<ul>" + "<li>Check the tide table before you set out</li>" * 60 + "</ul>"
    result = page(body=summary + "<p>Last updated: November 13, 2025</p>" + PROSE)
    assert result.published == "2025-11-13"


def test_updated_line_beside_the_headline_beats_a_lone_json_ld_date() -> None:
    # The JSON-LD's datePublished is the CMS's creation; the page shows readers its update.
    result = page(
        ld(datePublished="2021-08-12T19:35:44+00:00", dateModified="2025-02-22T22:13:14+00:00"),
        "<div class='byline'><div>Last Updated: 2025-02-22</div><div>By Ada Byrne</div></div>",
    )
    assert result.published is not None
    assert result.published[:10] == "2025-02-22"
    assert DateCandidate("2021-08-12T19:35:44+00:00", "json_ld") in result.date_candidates


def test_a_teasers_time_does_not_keep_the_lone_json_ld_date_over_the_updated_line() -> None:
    teaser = (
        "<div class='more'><a href='/notes/tide-clocks'>Tide clocks</a>"
        "<time datetime='2025-10-23'>23 October 2025</time></div>"
    )
    byline = "<div class='byline'><div>Page updated: 12 November 2025</div></div>"
    body = PROSE + "<p>High water at noon.</p>" * 320  # the teaser: far below the headline
    result = page(ld(datePublished="2025-11-13"), byline, body + teaser)
    assert result.published == "2025-11-12"
    # A <time> the markup labels the publication is a statement: it stands.
    dated = "<p>Posted <time itemprop='datePublished' datetime='2025-11-13'>13 Nov</time></p>"
    assert page(ld(datePublished="2025-11-13"), byline, body + dated).published == "2025-11-13"


def test_a_publication_meta_tag_beats_the_updated_line_beside_the_headline() -> None:
    result = page(
        ld(datePublished="2021-08-12T19:35:44+00:00")
        + '<meta property="article:published_time" content="2021-08-12T19:35:44+00:00">',
        "<div class='byline'><div>Last Updated: 2025-02-22</div><div>By Ada Byrne</div></div>",
    )
    assert result.published == "2021-08-12T19:35:44+00:00"


def test_a_printed_publication_date_beats_the_updated_line_beside_the_headline() -> None:
    result = page(
        ld(datePublished="2021-08-12T19:35:44+00:00"),
        "<div class='byline'><div>Published August 12, 2021</div>"
        "<div>Updated February 22, 2025</div></div>",
    )
    assert result.published is not None
    assert result.published[:10] == "2021-08-12"


def test_a_feeds_date_beats_the_updated_line_of_a_page_without_structured_data() -> None:
    html = (
        "<html lang='en'><head><title>Reading the tide tables</title></head><body><article>"
        "<h1>Reading the tide tables</h1><div class='byline'><div>Last Updated: 2025-02-22</div>"
        f"<div>By Ada Byrne</div></div>{PROSE}</article></body></html>"
    )
    hints = ExtractionHints(feed_published="2021-08-12T19:35:44+00:00")
    assert extract_article(html.encode(), URL, hints).published == "2021-08-12T19:35:44+00:00"


def test_time_in_a_last_reviewed_field_is_no_publication_date() -> None:
    field = (
        "<div class='field field--name-date-last-reviewed'><div class='field__item'>"
        "<time datetime='2025-04-14T12:00:00Z'></time></div></div>"
    )
    assert page(body=PROSE + field).published is None


def test_times_of_cards_inside_the_article_are_not_its_date() -> None:
    cards = "".join(
        f"<article class='card'><h3>Tide note {n}</h3><time datetime='2021-0{n}-08'></time></article>"
        for n in (1, 2, 3)
    )
    assert page(body=PROSE + f"<div class='more'>{cards}</div>").published is None


def webpage_ld(**fields: str) -> str:
    body = ", ".join(f'"{k}": "{v}"' for k, v in fields.items())
    return f'<script type="application/ld+json">{{"@type": "WebPage", {body}}}</script>'


def test_a_webpage_nodes_date_alone_does_not_date_the_page() -> None:
    # Every CMS page has one, article or not: kept as a candidate, never chosen alone.
    result = page(webpage_ld(datePublished="2015-06-04T18:42:54+00:00"))
    assert result.published is None
    assert result.date_candidates == [DateCandidate("2015-06-04T18:42:54+00:00", "json_ld")]


def test_a_webpage_date_with_an_author_or_a_meta_tag_dates_the_page() -> None:
    authored = page(webpage_ld(datePublished="2018-11-22", author="Ada Byrne"))
    assert authored.published == "2018-11-22"
    with_meta = page(
        webpage_ld(datePublished="2018-11-22")
        + '<meta property="article:published_time" content="2018-11-22">'
    )
    assert with_meta.published == "2018-11-22"


def test_a_page_wrapped_in_an_article_with_one_related_article_keeps_the_storys_date() -> None:
    # Cards are <article>s side by side; the story and one related article under a
    # wrapping <article> are not, so the story's <time> still dates the page.
    html = (
        "<html lang='en'><head><title>Reading the tide tables</title></head><body><article>"
        "<article><h1>Reading the tide tables</h1>"
        "<time datetime='2024-05-12T09:00:00+01:00'>May 12, 2024</time>" + PROSE + "</article>"
        "<section><article><h3><a href='/other'>Another story</a></h3>"
        "<time datetime='2023-01-02T09:00:00+00:00'>January 2, 2023</time></article></section>"
        "</article></body></html>"
    )
    assert extract_article(html.encode(), URL).published == "2024-05-12T09:00:00+01:00"


def test_a_review_sites_date_field_is_the_publication_date() -> None:
    # "review" names the site's kind of article here, not a "last reviewed" field.
    result = page(byline="<div class='review-meta'><time datetime='2024-03-05'>Tuesday</time></div>")
    assert result.published is not None and result.published.startswith("2024-03-05")
    reviewed = page(
        ld(datePublished="2024-01-10T08:00:00+00:00"),
        "<div class='date-last-reviewed'><time datetime='2024-06-01'>June 1, 2024</time></div>",
    )
    assert reviewed.published == "2024-01-10T08:00:00+00:00"


def test_dated_markup_is_told_apart_as_the_separate_queries_would() -> None:
    # _DATED_MARKUP finds the publication and the update markup in one query; the Python
    # tests that split it must pick what each XPath of its own picks, in document order.
    from lxml import etree
    from lxml import html as lxml_html

    from archive.extraction import datemarkup

    published = etree.XPath(
        '//@itemprop[.="datePublished"]/parent::*[not(self::meta)] | //time[@pubdate] '
        '| //abbr[contains(concat(" ", @class, " "), " published ")]'
    )
    modified = etree.XPath('//@itemprop[.="dateModified"]/parent::*[not(self::meta)]')
    tree = lxml_html.document_fromstring(
        '<html><head><meta itemprop="datePublished" content="2024-01-01"></head><body>'
        '<span itemprop="dateModified">2024-01-03</span><time pubdate itemprop="dateModified">x</time>'
        '<abbr class="published">2024-01-02</abbr><abbr class="unpublished">no</abbr>'
        '<abbr class="x published y" itemprop="datePublished">a</abbr><time datetime="2024">t</time>'
        '<meta itemprop="dateModified" content="2024-02-02"><div itemprop="datePublished">d</div>'
        '</body></html>'
    )
    found = datemarkup._DATED_MARKUP(tree)
    assert [el for el in found if datemarkup.is_publication_markup(el)] == published(tree)
    assert [el for el in found if datemarkup.is_modified_markup(el)] == modified(tree)
    assert len(published(tree)) == 4 and len(modified(tree)) == 2


def test_year_first_date_with_dots_is_read() -> None:
    assert find_text_date("Essay - Published: 2025.12.17 |", month_first=True) == ("2025-12-17", False)
    assert find_text_date("2025. 12. 17. 09:30", month_first=False) == ("2025-12-17", False)
    assert find_text_date("Requires version 2019.1.2.3 or later", month_first=True) is None
    assert page(byline="<p>Essay - Published: 2025.12.17</p>").published == "2025-12-17"


def test_a_headline_in_the_sites_masthead_is_still_the_headline() -> None:
    # Themes print the headline in a "hero" header (id='masthead'): it is the page's own
    # heading when it says what the title declares, and the dateline is measured from it.
    links = "".join(f"<li><a href='/s/{i}'>Section {i}</a></li>" for i in range(200))
    nav = f"<nav><ul>{links}</ul></nav>"
    html = (
        f"<html><head><title>Reading the tide tables | Riverside Notes</title></head><body>{nav}"
        "<header id='masthead' class='site-header'><h1>Reading the tide tables</h1></header>"
        f"<article><p class='byline'>By Ada Byrne</p><p>May 12, 2024</p>{PROSE * 3}</article>"
        "</body></html>"
    )
    result = extract_article(html.encode(), URL)
    assert result.title == "Reading the tide tables"
    assert result.published == "2024-05-12"


def test_a_dated_byline_far_from_the_headline_dates_an_otherwise_undated_page() -> None:
    notes = "".join(
        f"<p>Note {i} on <em>tides</em>, <b>currents</b> and <i>depths</i>.</p>" for i in range(120)
    )
    byline = "<p>Interview by <a href='/people/ada-byrne'>Ada Byrne</a></p><p>December 3, 2025.</p>"
    assert page(body=PROSE + notes + f"<div class='meta'>{byline}</div>").published == "2025-12-03"
    # The same date far away without a byline beside it says nothing about the page.
    plain = "<p>Tide gauge reading</p><p>December 3, 2025.</p>"
    assert page(body=PROSE + notes + f"<div class='meta'>{plain}</div>").published is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 грудня 2025, 08:40", ("2025-12-03", False)),  # Ukrainian
        ("Оновлено: 4 грудня 2025", ("2025-12-04", True)),
        ("الأربعاء ٣ ديسمبر ٢٠٢٥", ("2025-12-03", False)),  # Arabic-Indic digits
        ("آخر تحديث: 4 كانون الأول 2025", ("2025-12-04", True)),  # Levantine, two words
        ("입력 2025년 12월 3일 10:15", ("2025-12-03", False)),  # Korean
        ("수정 2025년 12월 4일 14:00", ("2025-12-04", True)),
        ("۱۲ آذر ۱۴۰۴ - ۱۰:۳۰", ("2025-12-03", False)),  # Solar Hijri, Persian digits
        ("30 اسفند 1403", ("2025-03-20", False)),  # the last day of a leap year
        ("Güncelleme: 03 Aralık 2025 15:10", ("2025-12-03", True)),
        ("עודכן: 03.12.2025 16:00", ("2025-12-03", True)),
        ("Aktualizacja: 4 grudnia 2025", ("2025-12-04", True)),
        ("Aktualizováno: 4. prosince 2025", ("2025-12-04", True)),
        ("به‌روزرسانی: ۱۳ آذر ۱۴۰۴", ("2025-12-04", True)),
        ("Last update: December 4, 2025", ("2025-12-04", True)),
    ],
)
def test_dates_printed_in_other_scripts_and_calendars_are_read(text: str, expected: tuple[str, bool]) -> None:
    assert find_text_date(text, month_first=False) == expected


def test_labels_in_other_languages_name_the_publication_date() -> None:
    assert publication_label("입력 2025년 12월 3일 10:15", month_first=False) == "published"
    assert publication_label("نشر في ٣ ديسمبر ٢٠٢٥", month_first=False) == "published"
    assert publication_label("תאריך: 03.12.2025", month_first=False) is None


@pytest.mark.parametrize("dateline", ["۱۲ آذر ۱۴۰۴ - ۱۰:۳۰", "12 آذر 1404 - 10:30"])
def test_a_persian_dateline_dates_the_page(dateline: str) -> None:
    # Iranian sites print the Solar Hijri date, in Persian digits or in ASCII ones: 12 Azar
    # 1404 is 3 December 2025.
    paragraph = "<p>" + "سخنگوی دولت اعلام کرد که قیمت بنزین در سال آینده افزایش خواهد یافت. " * 4 + "</p>"
    html = (
        "<html lang='fa' dir='rtl'><head><title>افزایش قیمت بنزین</title></head><body><article>"
        f"<h1>افزایش قیمت بنزین</h1><div class='meta'><span class='date'>{dateline}</span></div>"
        f"{paragraph * 3}</article></body></html>"
    )
    result = extract_article(html.encode(), "https://news.example.ir/news/123")
    assert result.published == "2025-12-03"
    assert result.status == "ok"


def test_a_language_declared_in_a_meta_tag_puts_the_day_first() -> None:
    # No lang on <html>: og:locale says French, and 03/12/2025 is 3 December.
    html = (
        "<html><head><title>La grève</title><meta property='og:locale' content='fr_FR'></head><body>"
        "<article><h1>La grève</h1><div class='date'>Publié le 03/12/2025</div>"
        f"{PROSE}</article></body></html>"
    )
    assert extract_article(html.encode(), URL).published == "2025-12-03"
