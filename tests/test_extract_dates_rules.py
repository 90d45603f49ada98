"""Which publication date extract_article chooses, continued: time zones, meta names, printed
dates in byline columns and header lines, numeric dates' order."""

from __future__ import annotations

import pytest

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


# --- A numeric date both of whose numbers could be the month ("03/10/2023") is read in the
# order the page's own dates show, before its language's.

def test_ambiguous_numeric_date_takes_the_reading_the_page_states_elsewhere() -> None:
    # The page's sidebar lists this very post with <time datetime="2025-12-02">: its byline's
    # "02-12-2025" is 2 December, whatever "en" would say.
    sidebar = (
        "<aside class='recent'><a href='/notes/reading-the-tide-tables'>Reading the tide tables"
        "</a><time datetime='2025-12-02'>December 02, 2025</time></aside>"
    )
    byline = "<div class='meta'><span>Ada Byrne</span><time datetime='02-12-2025'>02-12-2025</time></div>"
    assert page(byline=byline, body=PROSE + sidebar).published == "2025-12-02"


def test_ambiguous_numeric_date_on_a_page_that_writes_the_day_before_the_month_name() -> None:
    teasers = "".join(
        f"<div class='card'><p>Harbour notes {n}</p><p>{day} February 2026</p></div>"
        for n, day in enumerate((16, 10, 9))
    )
    byline = "<div class='meta'><span>03/10/2023</span> by <span>Ada Byrne</span></div>"
    assert page(byline=byline, body=PROSE * 3 + teasers).published == "2023-10-03"
    # A declared region decides before the names' order: en-US writes "3 February 2026" too.
    assert page(byline=byline, body=PROSE * 3 + teasers, lang="en-US").published == "2023-03-10"


def test_ambiguous_numeric_date_on_a_page_whose_other_numeric_dates_show_the_order() -> None:
    teasers = "".join(
        f"<div class='card'><p>Harbour notes {n}</p><p>{day}/02/2026</p></div>"
        for n, day in enumerate((16, 20, 19))
    )
    byline = "<div class='meta'><span>03/10/2023</span> by <span>Ada Byrne</span></div>"
    assert page(byline=byline, body=PROSE * 3 + teasers, lang="en-US").published == "2023-10-03"


def test_ambiguous_numeric_date_with_nothing_to_tell_its_order_follows_the_language() -> None:
    byline = "<div class='meta'><span>03/10/2023</span> by <span>Ada Byrne</span></div>"
    assert page(byline=byline).published == "2023-03-10"
    assert page(byline=byline, lang="fr").published == "2023-10-03"
    # Named dates in the order of "en" itself change nothing.
    teasers = "<div class='card'><p>Harbour notes</p><p>February 16, 2026</p></div>"
    assert page(byline=byline, body=PROSE + teasers).published == "2023-03-10"


# --- A sidebar holds other articles' teasers, or the page's own details, labelled.

def test_date_a_sidebar_labels_published_dates_the_page() -> None:
    html = (
        "<html lang='en'><head><title>Reading the tide tables</title></head><body>"
        "<h1>Reading the tide tables</h1><div class='post-content'>"
        "<div class='single-post-sidebar'><div class='meta'><h4>Published</h4>"
        "<div class='date'>July 8, 2025</div></div><div class='meta'><h4>Category</h4>"
        "<a href='/category/harbours/'>Harbours</a></div></div>"
        f"<div class='single-post-article'>{PROSE}</div></div></body></html>"
    )
    assert extract_article(html.encode(), URL).published == "2025-07-08"


def test_sidebars_unlabelled_teaser_dates_still_do_not_date_the_page() -> None:
    html = (
        "<html lang='en'><head><title>Reading the tide tables</title></head><body>"
        f"<h1>Reading the tide tables</h1><div class='post-content'>{PROSE}</div>"
        "<div class='sidebar'><h4>Recent posts</h4><p><a href='/notes/sea-walls'>Sea walls</a>"
        "</p><p>July 8, 2025</p></div></body></html>"
    )
    assert extract_article(html.encode(), URL).published is None


def test_sidebars_teasers_labelled_posted_on_do_not_date_the_page() -> None:
    # A theme's recent-posts widget prints "Posted on" before each teaser's date: the first
    # of them dated the page, which states no date of its own. A sidebar's details box
    # labels one date; a list of teasers labels one per story.
    dates = ("<span class='posted-on'>Posted on March {n}, 2024</span>",
             "Posted on <time datetime='2024-03-0{n}T10:00:00Z'>March {n}, 2024</time>")
    main = f"<main><h1>Reading the tide tables</h1>{PROSE}</main>"
    for date in dates:
        teasers = "".join(f"<li><a href='/notes/{n}'>Harbour notes {n}</a> "
                          f"{date.format(n=n)}</li>" for n in (3, 4))
        for sidebar in (f"<aside class='sidebar widget-area'><ul>{teasers}</ul></aside>",
                        f"<div id='sidebar'><ul>{teasers}</ul></div>"):
            for layout in (sidebar + main, main + sidebar):
                html = ("<html lang='en'><head><title>Reading the tide tables</title></head>"
                        f"<body>{layout}</body></html>")
                assert extract_article(html.encode(), URL).published is None, layout


def test_time_a_sidebar_labels_published_beats_a_later_teasers_time() -> None:
    teasers = "".join(
        f"<div class='card'><a href='/notes/{n}'>Harbour notes {n}</a><p>Publish date "
        f"<time datetime='2019-01-{n}T12:00:00Z'>{n} Jan 2019</time></p></div>"
        for n in (17, 24)
    )
    html = (
        "<html lang='en-GB'><head><title>Reading the tide tables</title></head><body>"
        f"<main><h1>Reading the tide tables</h1>{PROSE * 4}</main>"
        "<div class='layout-sidebar-bottom'><div><h4>Published</h4>"
        "<time datetime='2018-11-15T12:00:00Z'>15 November 2018</time></div><div><h4>Reviewed</h4>"
        "<time datetime='2020-10-08T12:00:00Z'>8 October 2020</time></div></div>"
        f"<section class='more'>{teasers}</section></body></html>"
    )
    assert extract_article(html.encode(), URL).published == "2018-11-15T12:00:00+00:00"


def test_date_right_under_the_headline_dates_the_page_whatever_its_class_names() -> None:
    # A newsletter issue: its details line is named after what the page is.
    html = (
        "<html lang='en'><head><title>Reading the tide tables</title>"
        f"{ld(datePublished='2025-06-12')}</head><body>"
        "<div class='hero'><div><h1>Reading the tide tables</h1></div>"
        "<div class='newsletter-details'><p>November 2, 2022</p><p>|</p>"
        "<p>This issue is sponsored by the Harbour Board</p></div></div>"
        f"<div class='body'>{PROSE}</div>"
        "<div class='newsletter'><p>Sign up</p><p>Last issue: March 3, 2025</p></div></body></html>"
    )
    assert extract_article(html.encode(), URL).published == "2022-11-02"


@pytest.mark.parametrize("kind", ["VideoObject", "AudioObject"])
def test_a_video_or_podcast_page_is_dated_by_its_upload_date(kind: str) -> None:
    media = (f'<script type="application/ld+json">{{"@type": "{kind}", "name": "Reading the tide '
             f'tables", "uploadDate": "2025-03-04T09:30:00+01:00"}}</script>')
    html = (f"<html lang='en'><head><title>Reading the tide tables</title>{media}</head><body>"
            "<main><h1>Reading the tide tables</h1><p>" + "Tide tables give the height of the "
            "water for every hour of the day. " * 6 + "</p></main></body></html>")
    result = extract_article(html.encode(), "https://riverside.example/videos/tide-tables")
    assert result.published == "2025-03-04T09:30:00+01:00"


def test_a_printed_date_the_json_ld_names_the_modification_beats_its_lone_date_published() -> None:
    # The page shows readers its update as its date; the JSON-LD alone keeps the CMS's
    # creation date as datePublished and names the printed day the modification.
    byline = "<div class='byline'><span>By Ada Byrne</span><span>May 12, 2024</span></div>"
    result = page(
        ld(datePublished="2019-02-01T10:00:00+00:00", dateModified="2024-05-12T08:00:00+00:00"),
        byline,
    )
    assert result.published is not None
    assert result.published[:10] == "2024-05-12"
    # A meta tag naming the publication is a deliberate statement: it stands.
    meta = '<meta property="article:published_time" content="2019-02-01T10:00:00+00:00">'
    result = page(
        ld(datePublished="2019-02-01T10:00:00+00:00", dateModified="2024-05-12T08:00:00+00:00")
        + meta,
        byline,
    )
    assert result.published is not None
    assert result.published[:10] == "2019-02-01"


def test_where_the_markup_disagrees_the_day_printed_beside_the_headline_decides() -> None:
    head = ld(datePublished="2018-04-03T16:50:31+00:00") + (
        '<meta property="article:published_time" content="2025-12-19T18:06:00+00:00">'
    )
    updated = "<div class='byline'><span>By Ada Byrne</span><span>Updated: Dec 19, 2025</span></div>"
    assert page(head, updated).published == "2025-12-19T18:06:00+00:00"
    # Nothing printed beside the headline: the JSON-LD comes first, as before.
    assert page(head).published == "2018-04-03T16:50:31+00:00"
