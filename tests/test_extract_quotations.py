"""Quotations in an article body: what was said is the story's text, once, in its place."""

from __future__ import annotations

import pytest

from archive.extract import extract_article

URL = "https://example.org/news/2024/03/05/council-budget"

_STORIES = {
    "en": (
        "Council cuts parks budget",
        [
            "The city council voted late on Tuesday to approve a budget that cuts spending on "
            "parks by twelve percent while raising the transit allocation for a third year.",
            "Council members argued for nearly four hours before the final vote, and several "
            "residents spoke against the closing of two neighbourhood pools.",
            "Opponents said they would bring the question back in April, when the council is "
            "expected to consider a new sales tax to pay for the pools.",
        ],
        "We could not find the money anywhere else in the budget this year.",
        "Maria Lopez, chair of the finance committee",
    ),
    "de": (
        "Stadtrat kürzt Etat für Parks",
        [
            "Der Stadtrat hat am Dienstagabend einen Haushalt beschlossen, der die Ausgaben für "
            "Parks um zwölf Prozent kürzt und den Nahverkehr im dritten Jahr in Folge stärkt.",
            "Vor der Abstimmung stritten die Ratsmitglieder fast vier Stunden lang, mehrere "
            "Anwohner sprachen sich gegen die Schließung zweier Hallenbäder aus.",
            "Die Gegner kündigten an, das Thema im April erneut vorzulegen, wenn der Rat über "
            "eine neue Steuer zur Finanzierung der Bäder berät.",
        ],
        "Wir haben das Geld an keiner anderen Stelle im Haushalt gefunden.",
        "Maria Lopez, Vorsitzende des Finanzausschusses",
    ),
}


def _page(lang: str, body: str) -> bytes:
    title = _STORIES[lang][0]
    return (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>{title}</title>"
        "<meta property='og:type' content='article'></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<main><article><h1>{title}</h1>{body}</article></main>"
        "<footer><a href='/about'>About us</a></footer></body></html>"
    ).encode()


def _p(text: str) -> str:
    return f"<p>{text}</p>"


@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_quotation_set_as_a_figure_is_kept_in_place_with_who_said_it(lang: str) -> None:
    # The HTML standard's markup for a quotation with its attribution (and what
    # design systems render for "embedded quote" blocks): trafilatura drops every
    # <figure> with all it holds, taking the quoted words out of the story.
    _, paragraphs, quote, speaker = _STORIES[lang]
    figure = (
        "<figure class='quote-block'><div class='avatar'><img src='/lopez.jpg' alt=''></div>"
        f"<blockquote><p>{quote}</p></blockquote><figcaption>{speaker}</figcaption></figure>"
    )
    html = _page(lang, _p(paragraphs[0]) + _p(paragraphs[1]) + figure + _p(paragraphs[2]))
    text = extract_article(html, URL).text
    assert text.index(paragraphs[1]) < text.index(quote) < text.index(paragraphs[2])
    assert speaker in text
    assert text.count(quote) == 1


def test_a_pull_quote_figure_repeating_the_body_is_not_doubled() -> None:
    _, paragraphs, quote, _ = _STORIES["en"]
    said = f"“{quote}” said Maria Lopez, who chairs the finance committee."
    pull = f"<figure class='wp-block-pullquote'><blockquote><p>“{quote}”</p></blockquote></figure>"
    html = _page("en", _p(paragraphs[0]) + pull + _p(paragraphs[1]) + _p(said) + _p(paragraphs[2]))
    text = extract_article(html, URL).text
    assert text.count(quote) == 1 and said in text


def test_a_figure_quoting_only_a_link_to_another_story_stays_out() -> None:
    # WordPress's embed of another site's post: a card of one link, not a quotation.
    _, paragraphs, _, _ = _STORIES["en"]
    card = (
        "<figure class='wp-block-embed is-type-wp-embed'><div class='wp-block-embed__wrapper'>"
        "<blockquote class='wp-embedded-content'><a href='https://other.example/pools'>"
        "Two neighbourhood pools will close in June</a></blockquote></div></figure>"
    )
    html = _page("en", "".join(map(_p, paragraphs[:2])) + card + _p(paragraphs[2]))
    text = extract_article(html, URL).text
    assert paragraphs[2] in text and "pools will close in June" not in text


def test_a_post_embedded_in_a_figure_is_quoted_in_the_story() -> None:
    # WordPress sets every embedded post in a figure; before scripts run, the post is a
    # blockquote of its words, its author and a link to it.
    _, paragraphs, _, _ = _STORIES["en"]
    post = (
        "<figure class='wp-block-embed is-type-rich is-provider-twitter wp-block-embed-twitter'>"
        "<div class='wp-block-embed__wrapper'><blockquote class='twitter-tweet'><p lang='en'>"
        "We will not let the pools close without a fight. See you all at the April meeting."
        "</p>&mdash; Friends of the Pools (@savethepools) <a href='https://twitter.com/"
        "savethepools/status/1'>March 5, 2024</a></blockquote><script async "
        "src='https://platform.twitter.com/widgets.js'></script></div></figure>"
    )
    html = _page("en", "".join(map(_p, paragraphs[:2])) + post + _p(paragraphs[2]))
    text = extract_article(html, URL).text
    assert text.index(paragraphs[1]) < text.index("without a fight") < text.index(paragraphs[2])


@pytest.mark.parametrize(
    "listing",
    [
        # Jekyll's highlighter (Rouge) frames every code block in a figure.
        "<figure class='highlight'><pre><code class='language-python' data-lang='python'>"
        "<span class='kn'>import</span> os\n<span class='k'>for</span> name <span class='ow'>"
        "in</span> os.listdir('.'):\n    print(name)</code></pre></figure>",
        # The HTML standard's code listing with its caption.
        "<figure><figcaption>Listing 1: every file in the folder</figcaption><pre><code>"
        "import os\nfor name in os.listdir('.'):\n    print(name)</code></pre></figure>",
    ],
)
def test_a_code_listing_set_as_a_figure_is_kept_line_by_line(listing: str) -> None:
    intro = (
        "The standard library can list a folder without any third-party package; the "
        "function returns the names in no particular order, so sort them if that matters."
    )
    after = (
        "Run it from the folder you want to list. Hidden files are included, which is a "
        "common surprise for people coming from the shell's own listing command."
    )
    html = _page("en", _p(_STORIES["en"][1][0]) + _p(intro) + listing + _p(after))
    text = extract_article(html, URL).text
    assert "import os\nfor name in os.listdir('.'):\n    print(name)" in text
    assert text.index(intro) < text.index("import os") < text.index(after)


@pytest.mark.parametrize("lang", ["en", "de"])
def test_a_pull_quote_repeating_the_body_is_kept_once(lang: str) -> None:
    # A pull quote sets a sentence of the story large beside it: the reader reads it once.
    _, paragraphs, quote, speaker = _STORIES[lang]
    said = f"„{quote}“ – {speaker}." if lang == "de" else f"“{quote}” said {speaker}."
    pull = f"<blockquote class='pullquote'><p>“{quote}”</p></blockquote>"
    html = _page(lang, _p(paragraphs[0]) + pull + _p(paragraphs[1]) + _p(said) + _p(paragraphs[2]))
    text = extract_article(html, URL).text
    assert text.count(quote) == 1 and said in text



def test_a_passage_quoted_again_to_discuss_it_is_kept_both_times() -> None:
    # A guide quotes an essay, then its opening line again to discuss it.
    _, paragraphs, quote, _ = _STORIES["en"]
    essay = f"<blockquote><p>{quote}</p><p>{paragraphs[1]}</p></blockquote>"
    again = f"<p>Look at the opening line again:</p><blockquote>{quote}</blockquote>"
    html = _page("en", _p(paragraphs[0]) + essay + again + _p(paragraphs[2]))
    assert extract_article(html, URL).text.count(quote) == 2
