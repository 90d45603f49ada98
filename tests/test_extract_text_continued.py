"""An article body split into several containers (around an ad slot, into a premium box) is
read whole, and what only sits beside it stays out."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from archive.extract import extract_article
from archive.extraction.body import find_prose
from archive.extraction.trafilatura_pass import run_trafilatura
from tests.test_extract_text import ARTICLE_PARAGRAPHS, URL, page, paragraphs

_CONTINUED = [
    "Ask a teacher who knows your work to read the second draft, and give them a week: a "
    "rushed reader finds the typos and misses the story you meant to tell.",
    "Cut every sentence that explains what the scene already shows; the reader is quicker "
    "than you think, and the essay reads younger when it spells everything out.",
]
_AD_SLOT = "<div class='ad-slot' id='ad-inline-1'><div class='ad-label'>Advertisement</div></div>"


@pytest.mark.parametrize(
    "body",
    [
        # WordPress with a membership plugin: the members' part in its own box after the
        # free one (trafilatura drops a container whose id names it premium).
        "<div class='entry-content'>{first}</div>"
        "<div class='premium-content' id='premium-content'>{rest}</div>",
        # A paywall CMS: the subscribers' part after an ad slot, in a box named for it.
        "<div class='article-body'>{first}</div>{ad}<div class='article-body-2 paywall'>{rest}</div>",
        # Arc XP-like: the body's chunks in an <article>, closed around each ad slot.
        "<article><div class='c-article-body'>{first}</div>{ad}"
        "<div class='c-article-body'>{rest}</div></article>",
        # Brightspot-like: the marked body and its continuation, both in the <article>.
        "<article><div class='RichTextArticleBody' itemprop='articleBody'>{first}</div>{ad}"
        "<div class='RichTextArticleBody-more'>{rest}</div></article>",
        # The Guardian-like: an ad column between two body containers of another class.
        "<div id='maincontent'><div class='article-body-commercial-selector'>{first}</div>"
        "<aside class='ad-slot-container'><div id='dfp-ad--inline1'></div></aside>"
        "<div class='article-body-viewer-selector'>{rest}</div></div>",
    ],
)
def test_a_body_continued_after_an_ad_slot_or_in_a_premium_box_is_read_whole(body: str) -> None:
    # The free part is three times the rest: trafilatura's recall pass, which adds the other
    # containers only for half as much text again, does not rescue it.
    first = paragraphs([*ARTICLE_PARAGRAPHS, *(p.replace(" a ", " one ") for p in ARTICLE_PARAGRAPHS)])
    html = page(body.format(first=first, rest=paragraphs(_CONTINUED), ad=_AD_SLOT))
    text = extract_article(html, URL).text
    for paragraph in [*ARTICLE_PARAGRAPHS, *_CONTINUED]:
        assert paragraph in text
    assert "Advertisement" not in text


@pytest.mark.parametrize(
    "after",
    [
        # a copy the stylesheet hides
        "<div class='article-body w-condition-invisible'>{rest}</div>",
        # a box of another kind: teasers, whose paragraphs are links to other stories
        "<div class='article-body'><h2>More on essays</h2>{linked}</div>",
        # other text between the body and the box: the body ended there
        "<div class='article-byline'><p>Jane Doe writes about college admissions for the "
        "guide, and has read application essays for twelve years.</p></div>"
        "<div class='article-more'>{rest}</div>",
    ],
)
def test_boxes_after_the_body_that_do_not_continue_it_stay_out(after: str) -> None:
    first = paragraphs([*ARTICLE_PARAGRAPHS, *(p.replace(" a ", " one ") for p in ARTICLE_PARAGRAPHS)])
    linked = "".join(f"<p><a href='/story/{n}'>{t}</a></p>" for n, t in enumerate(_CONTINUED))
    html = page(f"<div class='wrap'><div class='article-body'>{first}</div>"
                f"{after.format(rest=paragraphs(_CONTINUED), linked=linked)}</div>")
    root = find_prose(lxml_html.fromstring(html)).root
    assert root is not None and root.get("class") == "article-body"
    assert not any(p in root.text_content() for p in _CONTINUED)


def test_the_next_story_loaded_below_the_article_is_not_its_continuation() -> None:
    first = paragraphs([*ARTICLE_PARAGRAPHS, *(p.replace(" a ", " one ") for p in ARTICLE_PARAGRAPHS)])
    html = page(f"<div class='stream'><article class='story'>{first}</article>"
                f"<article class='story'><h2>Next: revising</h2>{paragraphs(_CONTINUED)}</article></div>")
    text = extract_article(html, URL).text
    assert ARTICLE_PARAGRAPHS[2] in text
    assert not any(p in text for p in _CONTINUED)


def test_a_body_part_before_an_image_block_joins_the_larger_part_after_it() -> None:
    # Webflow-like: the text before a full-width image is its own rich-text block.
    later = [p.replace(" a ", " one ") for p in [*ARTICLE_PARAGRAPHS, *_CONTINUED]]
    html = page(
        f"<div class='story-wrap'><div class='rich-text'>{paragraphs(_CONTINUED)}</div>"
        "<figure class='w-richtext-figure'><img src='/a.jpg'></figure>"
        f"<div class='rich-text body-main'>{paragraphs(later)}</div></div>"
    )
    text = extract_article(html, URL).text
    assert text.index(_CONTINUED[0]) < text.index(_CONTINUED[1]) < text.index(later[0])
    assert later[-1] in text


def test_a_list_between_two_parts_of_the_body_stays_in_its_place() -> None:
    first = paragraphs([*ARTICLE_PARAGRAPHS, *(p.replace(" a ", " one ") for p in ARTICLE_PARAGRAPHS)])
    steps = "<ul><li>Read it aloud once.</li><li>Check every name and date.</li></ul>"
    html = page(f"<div class='story'><div class='article-body'>{first}</div>{steps}{_AD_SLOT}"
                f"<div class='premium-content' id='premium-content'>{paragraphs(_CONTINUED)}</div></div>")
    text = extract_article(html, URL).text
    assert text.index(ARTICLE_PARAGRAPHS[2]) < text.index("Check every name") < text.index(_CONTINUED[1])


@pytest.mark.parametrize("gate", ["paywall", "c-paywall-content", "subscriber-only", "article__paywall"])
def test_the_body_s_paragraphs_inside_a_paywall_container_are_text_its_prompt_is_not(gate: str) -> None:
    # Sites mark the subscriber part of the body with a class (Google's paywalled-content
    # markup names it by cssSelector, ".paywall"): the full text is in the page.
    prompt = (
        f"<div class='{gate}-prompt'><p>You have read all of your free articles this month. "
        "Subscribe today for full access.</p>"
        "<form><input type='email'><button>Subscribe</button></form></div>"
    )
    gated = [
        "Ask a teacher who knows your work to read the second draft, and give them a week: "
        "a rushed reader finds the typos and misses the story you meant to tell.",
        "Cut every sentence that explains what the scene already shows; the reader is quicker "
        "than you think, and the essay reads younger when it spells everything out.",
    ]
    html = page(
        f"<article><div class='body'>{paragraphs(ARTICLE_PARAGRAPHS * 2)}"
        f"<div class='{gate}'>{paragraphs(gated)}</div>{prompt}</div></article>"
    )
    text = extract_article(html, URL).text
    for paragraph in [*ARTICLE_PARAGRAPHS, *gated]:
        assert paragraph in text
    assert "free articles" not in text


def test_a_teaser_card_article_nested_in_the_article_body_is_not_text() -> None:
    card = (
        "<article class='inline-story'><a href='/guides/openings'><img src='/o.jpg'></a>"
        "<h4><a href='/guides/openings'>Ten essay openings that admissions readers remember</a></h4>"
        "<p>Our favourite first lines, and why they work.</p></article>"
    )
    html = page(
        f"<article>{paragraphs(ARTICLE_PARAGRAPHS[:2])}{card}{paragraphs(ARTICLE_PARAGRAPHS[2:])}</article>"
    )
    text = extract_article(html, URL).text
    for paragraph in ARTICLE_PARAGRAPHS:
        assert paragraph in text
    assert "Ten essay openings" not in text and "favourite first lines" not in text


@pytest.mark.parametrize(
    "box",
    [
        "<section class='listicle-slide' id='slide-{n}'>{item}</section>",  # "slide": a carousel's
        "<div class='space-y-4 bard'>{item}</div>",  # "bar" in a utility class's word
        "<section id='menu-item-{n}-how-to-plan'>{item}</section>",  # an anchor that starts "menu"
    ],
)
def test_the_body_s_sections_in_boxes_named_like_furniture_are_text(box: str) -> None:
    # trafilatura deletes every box whose class or id holds one of its furniture words, by
    # substring; here they hold the body's items, most of its prose.
    items = [
        f"<h2>Tip {n}</h2>{paragraphs([p.replace('a ', f'a {n} ', 1) for p in ARTICLE_PARAGRAPHS])}"
        for n in range(1, 5)
    ]
    # (An introduction and a conclusion around them: when named boxes hold nearly all the
    # text, trafilatura keeps them all.)
    intro, end = paragraphs(_CONTINUED), paragraphs([p.replace(" a ", " one ") for p in ARTICLE_PARAGRAPHS])
    slides = "".join(box.format(n=n, item=item) for n, item in enumerate(items, 1))
    footer = "<div class='site-footer'><p>About us. Contact. Jobs. Terms of use.</p></div>"
    html = page(f"<article><div class='entry-content'>{intro}{slides}{end}</div></article>{footer}")
    text = extract_article(html, URL).text
    assert _CONTINUED[1] in text
    assert "Tip 3" in text
    assert ARTICLE_PARAGRAPHS[2].replace("a ", "a 4 ", 1) in text
    assert "Terms of use" not in text
    # ... and trafilatura's fast pass keeps them: its fallback, twice the cost, is not
    # needed to find them (and on real pages did not always find them: readability
    # took one section for the article).
    tree = lxml_html.fromstring(html)
    find_prose(tree)
    assert "Tip 3" in run_trafilatura(tree, URL, fast=True)


def test_a_page_builder_s_widgets_all_stay_when_one_kind_holds_the_prose() -> None:
    # Every block of the body is a "widget": trafilatura keeps them all (they hold nearly
    # all the text); renaming the text widgets alone would leave the heading widgets named.
    text_widget = "<div class='widget widget-text'><div class='widget-container'>{}</div></div>"
    heading_widget = "<div class='widget widget-heading'><h2>{}</h2></div>"
    blocks = "".join(
        heading_widget.format(f"Step {n} of the essay") + text_widget.format(paragraphs(ARTICLE_PARAGRAPHS))
        for n in range(1, 4)
    )
    text = extract_article(page(f"<article><div class='entry-content'>{blocks}</div></article>"), URL).text
    assert "Step 2 of the essay" in text
    assert ARTICLE_PARAGRAPHS[2] in text


def test_the_introduction_before_an_unclosed_embed_stays_with_the_body_nested_in_it() -> None:
    # A custom-HTML block (a table in a wrapper) whose </div> is missing: the parser nests
    # the rest of the body in it, and that part alone holds most of the prose.
    rest = [p.replace(" a ", f" {n} ") for n in ("one", "another", "the next") for p in ARTICLE_PARAGRAPHS]
    embed = (
        "<div class='w-embed'><div class='responsive-table'><table><tr><th>Bill</th><th>Tip</th></tr>"
        "<tr><td>$10</td><td>$2</td></tr></table>"  # its </div>s come after the body's rest
    )
    body = f"<div class='rich-text'>{paragraphs(_CONTINUED)}<h2>How much</h2>{embed}{paragraphs(rest)}"
    html = page(f"<div class='blog'>{body}</div></div></div></div><div class='footer'><p>(c) Site</p></div>")
    text = extract_article(html, URL).text
    assert _CONTINUED[0] in text
    assert rest[-1] in text


@pytest.mark.parametrize("box", ["<div class='commentOnSelection'>", "<div id='comment-area'>"])
def test_a_body_in_a_box_named_for_comments_is_text(box: str) -> None:
    # A feature letting readers comment on a selected sentence wraps the whole body;
    # trafilatura deletes boxes whose class or id starts with "comment", with no guard.
    body = paragraphs([*ARTICLE_PARAGRAPHS, *_CONTINUED])
    html = page(f"<article><div class='post'>{box}<div class='body'>{body}</div></div></div></article>")
    text = extract_article(html, URL).text
    assert ARTICLE_PARAGRAPHS[0] in text
    assert _CONTINUED[1] in text
