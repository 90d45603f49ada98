"""extract_article's page-type decision on pages of kinds a news site publishes beside its stories."""

from __future__ import annotations

from archive.extract import extract_article

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
