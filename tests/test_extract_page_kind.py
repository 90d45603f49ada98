"""extract_article's page-type decision on pages of kinds a news site publishes beside its stories."""

from __future__ import annotations

import json

import pytest

from archive.extract import ArticleExtraction, extract_article

SITE = "https://northern-courier.example"
NAV = (
    "<header><a href='/'>The Northern Courier</a><nav><ul>"
    + "".join(f"<li><a href='/{s.lower()}'>{s}</a></li>" for s in ("News", "Politics", "Sport", "Culture"))
    + "</ul></nav></header>"
)
FOOTER = "<footer><a href='/about'>About us</a> <a href='/contact'>Contact the newsroom</a></footer>"
ENTRIES = [
    ("Councillors debate the roof repair costs",
     "Councillors said the decision was forced by the cost of repairing the roof, which surveyors "
     "estimated last year at more than two million pounds."),
    ("Campaigners gather outside the town hall",
     "Campaigners who have fought the closure for eighteen months gathered outside, reading aloud "
     "from books they had borrowed as children."),
    ("Leader defends the move to the shopping centre",
     "The council's leader told the meeting that the service would continue from a smaller site "
     "with longer opening hours and a children's room."),
    ("Opposition asks about heritage funding",
     "Opposition members asked why the council had not applied for heritage funding that might "
     "have paid for part of the roof repairs."),
    ("Archives to move to the record office",
     "The library's local history archives, with parish records from the seventeenth century, will "
     "move to the county record office at the end of the year."),
    ("Vote passes by 31 votes to 12",
     "The motion passed by 31 votes to 12 shortly after nine o'clock, to shouts from the public "
     "gallery, which the mayor asked to be cleared."),
]


def page(head: str, main: str) -> bytes:
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Library vote</title>{head}"
        f"</head><body>{NAV}<main>{main}</main>{FOOTER}</body></html>"
    ).encode()


def test_live_blog_entries_whose_headlines_link_to_their_own_place_are_the_story() -> None:
    # Each entry's headline is its permalink within the page, not a teaser for another story.
    entries = "".join(
        f"<article class='post' id='p{n}'><time datetime='2025-03-04T19:{n}0'>19:{n}0</time>"
        f"<h2><a href='#p{n}'>{headline}</a></h2><p>{text}</p></article>"
        for n, (headline, text) in enumerate(ENTRIES)
    )
    result = extract_article(
        page("", f"<h1>Library vote – live updates</h1>{entries}"), f"{SITE}/news/live/library-vote"
    )
    assert result.status == "ok", result.reason
    assert all(text in result.text for _, text in ENTRIES)


MOST_READ = [
    "New cycle lanes divide opinion among city centre traders",
    "Bus fares to rise by ten per cent from next month",
    "Museum reopens after restoration of its east wing",
    "Football club confirms sale to overseas investors",
    "Police appeal for witnesses after warehouse fire",
    "Hospital waiting lists fall for the first time",
]


def most_read_aside() -> str:
    cards = "".join(
        f"<article><h3><a href='/news/2025/03/0{n + 1}/story-{n}'>{headline}</a></h3>"
        f"<time datetime='2025-03-0{n + 1}'>{n + 1} March</time></article>"
        for n, headline in enumerate(MOST_READ)
    )
    return f"<aside><h2>Most read</h2>{cards}</aside>"


@pytest.mark.parametrize(
    ("lang", "dateline", "story"),
    [
        ("en", "<time datetime='2025-03-04T10:05'>4 March 2025, 10:05</time>",
         "Firefighters were called to a warehouse on Dock Road shortly after six o'clock on Tuesday "
         "morning, where a blaze had spread through the roof of a storage unit used by a furniture "
         "company. Six engines attended and the road was closed to traffic for most of the morning. "
         "Nobody was hurt, the fire service said, and an investigation into the cause has begun."),
        ("fr", "<p class='date'>Publié le 4 mars 2025 à 10h05</p>",
         "Le conseil municipal a voté mardi soir la fermeture de la vieille bibliothèque de la rue du "
         "Marché, après plus d'un siècle de service. Les élus ont expliqué que la décision était "
         "imposée par le coût de la réfection de la toiture, estimé à plus de deux millions d'euros. "
         "Le service se poursuivra dans un local plus petit du centre commercial."),
    ],
)
def test_a_short_story_beside_a_most_read_aside_is_an_article(lang: str, dateline: str, story: str) -> None:
    # The teasers of an <aside> are beside the page's content, not the page's content.
    html = page("", f"<article><h1>Fire at warehouse on Dock Road</h1>{dateline}<p>{story}</p></article>"
                f"{most_read_aside()}").replace(b"lang='en'", f"lang='{lang}'".encode())
    result = extract_article(html, f"{SITE}/news/fire-at-dock-road-warehouse")
    assert result.status == "ok", result.reason
    assert story in result.text


def test_a_section_page_with_a_most_read_aside_is_still_a_listing() -> None:
    cards = "".join(
        f"<article><h2><a href='/politics/story-{n}'>{headline}</a></h2><p>A line about it.</p></article>"
        for n, headline in enumerate(reversed(MOST_READ))
    )
    result = extract_article(page("", f"<h1>Politics</h1>{cards}{most_read_aside()}"), f"{SITE}/politics")
    assert result.status == "not_article"


@pytest.mark.parametrize("graph", [False, True])
def test_a_section_page_whose_json_ld_describes_each_of_its_teasers_is_a_listing(graph: bool) -> None:
    # One NewsArticle object per teaser describes a list of stories, not the page as one.
    stories = [
        {"@type": "NewsArticle", "headline": headline, "url": f"{SITE}/news/story-{n}",
         "datePublished": f"2025-03-0{n + 1}"}
        for n, headline in enumerate(MOST_READ)
    ]
    data: object = {"@context": "https://schema.org", "@graph": [{"@type": "CollectionPage"}, *stories]}
    if not graph:
        data = [{"@context": "https://schema.org", **story} for story in stories]
    cards = "".join(
        f"<article><h2><a href='{story['url']}'>{story['headline']}</a></h2><p>A line about it.</p></article>"
        for story in stories
    )
    intro = ("<p>The latest news from the town and the county, from the council chamber to the "
             "courts, updated through the day by our reporters.</p>")
    script = f"<script type='application/ld+json'>{json.dumps(data)}</script>"
    html = page(script, f"<h1>News</h1>{intro}{cards}")
    result = extract_article(html, f"{SITE}/news")
    assert result.status == "not_article"


def _short_story_over_a_grid(script: str, url: str) -> ArticleExtraction:
    """A three-sentence story above a grid of MOST_READ teaser cards, with `script` in its head."""
    grid = "".join(
        f"<article><h2><a href='/news/story-{n}'>{headline}</a></h2></article>"
        for n, headline in enumerate(MOST_READ)
    )
    brief = "Talks at the conciliation service ended late on Monday with an offer both sides accepted. " * 3
    return extract_article(
        page(script, f"<article><h1>Rail strike called off</h1><p>{brief}</p></article>"
                     f"<section>{grid}</section>"),
        url,
    )


def test_a_story_whose_json_ld_repeats_its_article_object_is_still_declared_an_article() -> None:
    # Two plugins each writing the story's NewsArticle: one story, declared twice.
    story = {"@type": "NewsArticle", "headline": "Rail strike called off", "datePublished": "2025-03-04"}
    script = f"<script type='application/ld+json'>{json.dumps([story, dict(story, url=SITE)])}</script>"
    result = _short_story_over_a_grid(script, f"{SITE}/news/rail-strike-called-off")
    assert result.status == "ok", result.reason


def test_a_short_story_whose_json_ld_also_describes_its_related_stories_is_an_article() -> None:
    # Its own object names the page (mainEntityOfPage); the others are the grid below it.
    url = f"{SITE}/news/rail-strike-called-off"
    own = {"@type": "NewsArticle", "headline": "Rail strike called off", "datePublished": "2025-03-04",
           "mainEntityOfPage": {"@type": "WebPage", "@id": url.replace("://", "://www.")}}
    related = [{"@type": "NewsArticle", "headline": headline, "url": f"{SITE}/news/story-{n}"}
               for n, headline in enumerate(MOST_READ)]
    script = f"<script type='application/ld+json'>{json.dumps([own, *related])}</script>"
    result = _short_story_over_a_grid(script, url)
    assert (result.status, result.published) == ("ok", "2025-03-04"), result.reason


def test_a_related_story_s_unparsable_url_in_the_json_ld_does_not_fail_the_page() -> None:
    # "http://[" is no URL (urlsplit raises ValueError): one such related story in a plugin's
    # JSON-LD failed the page's extraction ("error", ValueError: Invalid IPv6 URL), its text lost.
    url = f"{SITE}/news/rail-strike-called-off"
    own = {"@type": "NewsArticle", "headline": "Rail strike called off", "datePublished": "2025-03-04",
           "mainEntityOfPage": url}
    related = [{"@type": "NewsArticle", "headline": headline,
                "url": "http://[story-0" if n == 0 else f"{SITE}/news/story-{n}"}
               for n, headline in enumerate(MOST_READ)]
    script = f"<script type='application/ld+json'>{json.dumps([*related, own])}</script>"
    result = _short_story_over_a_grid(script, url)
    assert (result.status, result.published) == ("ok", "2025-03-04"), result.reason
