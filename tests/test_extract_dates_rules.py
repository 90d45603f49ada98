"""Which publication date extract_article chooses, continued: time zones, meta names, printed
dates in byline columns and header lines, numeric dates' order."""

from __future__ import annotations

from archive.extract import ArticleExtraction, extract_article
from archive.extraction.textdates import find_text_date, publication_label

URL = "https://riverside.example/notes/reading-the-tide-tables"
PROSE = "<p>" + "Tide tables give the height of the water for every hour of the day. " * 6 + "</p>"


def page(
    head: str = "", byline: str = "", body: str = PROSE, *, lang: str = "en", url: str = URL
) -> ArticleExtraction:
    html = (
        f"<html lang='{lang}'><head><title>Reading the tide tables</title>{head}</head><body>"
        f"<article><h1>Reading the tide tables</h1>{byline}{body}</article></body></html>"
    )
    return extract_article(html.encode(), url)


def ld(**dates: str) -> str:
    fields = ", ".join(f'"{k}": "{v}"' for k, v in dates.items())
    return f'<script type="application/ld+json">{{"@type": "Article", {fields}}}</script>'


def test_printed_day_no_time_zone_reaches_from_a_timestamp_is_not_that_moment() -> None:
    # 22:02 UTC on the 19th is the 19th or the 20th wherever one lives (offsets run from
    # -12:00 to +14:00): a page printing the 18th prints another day, its own.
    result = page(
        ld(datePublished="2025-12-19T22:02:58+00:00"),
        "<div class='byline'><span>Dec 18, 2025</span><span>5 min read</span></div>",
    )
    assert result.published == "2025-12-18"


def test_printed_day_one_off_a_timestamp_in_another_zone_is_the_timestamp() -> None:
    # 02:30 UTC on the 20th is still the 19th in New York: the same moment.
    result = page(
        ld(datePublished="2025-12-20T02:30:00+00:00"),
        "<div class='byline'><span>Dec 19, 2025</span><span>5 min read</span></div>",
    )
    assert result.published == "2025-12-20T02:30:00+00:00"


def test_numeric_date_written_with_dashes_is_read() -> None:
    # "01-04-2024" as "01/04/2024": an American page's 4 January, a British page's 1 April.
    line = "<div class='post-meta'>Post time: 01-04-2024</div>"
    assert page(byline=line, lang="en-US").published == "2024-01-04"
    assert page(byline=line, lang="en-GB").published == "2024-04-01"
    # Not a run of numbers that only ends like one: a reference, a phone number.
    assert find_text_date("Ref 2231-01-04-2024", month_first=True) is None
    assert find_text_date("Call 555-01-04-2024", month_first=True) is None


def test_publication_label_written_as_a_noun_dates_a_page_far_from_its_headline() -> None:
    # Nothing beside the headline dates the page; its "Post time" line under a long body does.
    line = "<div class='post-meta'>Post time: 01-04-2024</div>"
    long_body = PROSE + "<p>The water rises twice a day.</p>" * 320
    assert page(body=long_body + line, lang="en-US").published == "2024-01-04"
    assert publication_label("Publication date: 4 January 2024", month_first=True) == "published"
