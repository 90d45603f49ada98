"""Which publication date extract_article chooses, continued: time zones, meta names, printed
dates in byline columns and header lines, numeric dates' order."""

from __future__ import annotations

from archive.extract import ArticleExtraction, extract_article

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
