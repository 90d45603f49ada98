"""Main-text rules of extract_article, one small hand-written page per rule."""

from __future__ import annotations

from lxml import html as lxml_html

from archive.extract import extract_article
from archive.extraction.body import find_prose

URL = "https://example.org/guides/story"

ARTICLE_PARAGRAPHS = [
    "Writing a strong application essay starts long before the first draft, with a habit of "
    "noting the moments that changed how you see your own school and town.",
    "Open with a scene rather than a summary, so that the reader meets you in the middle of "
    "something that mattered and wants to know how it ended.",
    "Keep to the length the prompt asks for: a reader with a pile of essays notices the one "
    "that respects their time, and remembers it more kindly afterwards.",
]


def page(body: str, title: str = "How to write an application essay") -> bytes:
    return (
        f"<html><head><title>{title}</title></head><body>"
        f"<div class='site'><h1>{title}</h1>{body}</div></body></html>"
    ).encode()


def paragraphs(texts: list[str]) -> str:
    return "".join(f"<p>{t}</p>" for t in texts)


def test_long_faq_accordion_does_not_replace_the_article_it_closes() -> None:
    answers = [
        f"Question {n}: the answer runs to a full paragraph so that the accordion holds more "
        f"prose than the article above it, as long FAQ sections often do ({n})."
        for n in range(8)
    ]
    faq = "".join(
        f"<div class='faq-item'><h3>Question {n}?</h3><p>{a}</p></div>" for n, a in enumerate(answers)
    )
    html = page(
        f"<section class='copy'>{paragraphs(ARTICLE_PARAGRAPHS)}</section>"
        f"<section><div class='accordion-panels'>{faq}</div></section>"
    )
    text = extract_article(html, URL).text
    assert ARTICLE_PARAGRAPHS[0] in text
    assert ARTICLE_PARAGRAPHS[2] in text


def test_button_labels_and_end_notes_alone_on_a_line_are_not_text() -> None:
    html = page(
        f"<article>{paragraphs(ARTICLE_PARAGRAPHS)}"
        "<p><a href='/more'>Weiterlesen</a></p>"
        "<p>This article was originally published by a partner newsroom.</p>"
        "<p>You may also like: ten more essay tips</p></article>"
    )
    text = extract_article(html, URL).text
    assert ARTICLE_PARAGRAPHS[2] in text
    assert "Weiterlesen" not in text
    assert "originally published" not in text
    assert "You may also like" not in text


def test_a_paragraph_that_only_starts_like_a_label_stays() -> None:
    sentence = (
        "Read more than one sample essay before you start, and notice how each writer opens "
        "with a moment rather than a list of achievements."
    )
    html = page(f"<article>{paragraphs([*ARTICLE_PARAGRAPHS, sentence])}</article>")
    text = extract_article(html, URL).text
    assert sentence in text


def test_a_table_of_long_descriptions_is_not_the_content_root() -> None:
    rows = "".join(
        f"<tr><td>Plant {n}</td><td>Plant {n} grows well in a dim corner, needs water once a week "
        f"and tolerates dry air, which makes it a forgiving choice for a first houseplant.</td></tr>"
        for n in range(8)
    )
    body = f"<div class='body'>{paragraphs(ARTICLE_PARAGRAPHS)}<table><tbody>{rows}</tbody></table></div>"
    tree = lxml_html.fromstring(page(body))
    root = find_prose(tree).root
    assert root is not None and root.get("class") == "body"


def test_teaser_card_articles_do_not_stand_in_for_the_body() -> None:
    # The body has no <article>; the only <article>s are small cards in a rail before it.
    # trafilatura takes the first <article> of a page for its body.
    cards = "".join(
        f"<article class='card'><a href='/story-{n}'>Another guide about essays, part {n}</a></article>"
        for n in range(5)
    )
    html = page(f"<div class='rail'>{cards}</div><div class='entry'>{paragraphs(ARTICLE_PARAGRAPHS)}</div>")
    tree = lxml_html.fromstring(html)
    root = find_prose(tree).root
    assert root is not None and root.get("class") == "entry"
    assert not tree.xpath("//article")  # the cards are plain boxes now
    text = extract_article(html, URL).text
    for paragraph in ARTICLE_PARAGRAPHS:
        assert paragraph in text
    assert "Another guide about essays" not in text


def test_an_article_of_lists_is_still_the_body_it_marks() -> None:
    # Little of its text is paragraphs, but it is most of the page: not a card.
    items = "".join(f"<li>{t}</li>" for t in ARTICLE_PARAGRAPHS)
    html = page(f"<article><p>{ARTICLE_PARAGRAPHS[0]}</p><ul>{items}</ul></article>"
                f"<div class='promo'><p>{ARTICLE_PARAGRAPHS[1][::-1]}</p></div>")
    tree = lxml_html.fromstring(html)
    assert find_prose(tree).root is None  # the markup's <article> is trusted
    assert ARTICLE_PARAGRAPHS[2] in extract_article(html, URL).text


def test_a_box_named_like_a_body_outside_the_prose_is_not_taken() -> None:
    # trafilatura takes the first element its patterns match (here the sidebar box's
    # "entry-content" class) before the unnamed body; it sees only the prose's branch.
    promo = (
        "<div class='sidebar'><div class='entry-content'><p>Our spring sale ends on Sunday: every "
        "course is half price for new students who sign up this week.</p></div></div>"
    )
    longer = [f"{p} {p} {p}" for p in ARTICLE_PARAGRAPHS * 2]
    body = page(promo + "<div class='story'>" + paragraphs(ARTICLE_PARAGRAPHS + longer) + "</div>")
    text = extract_article(body, URL).text
    assert text.startswith(ARTICLE_PARAGRAPHS[0])
    assert "spring sale" not in text


def test_the_tree_is_whole_again_after_the_text_is_extracted() -> None:
    from archive.extraction.body import extract_text

    links = "<ul class='tags'><li><a rel='tag' href='/t/essays'>essays</a></li></ul>"
    tree = lxml_html.fromstring(
        page("<nav><a href='/'>Home</a></nav><div class='story'>"
             + paragraphs(ARTICLE_PARAGRAPHS * 3) + f"</div>{links}<footer>Footer</footer>")
    )
    before = [el.tag for el in tree.iter()]
    extract_text(tree, URL)
    after = [el.tag for el in tree.iter()]
    # Same elements in the same order; only the content root was renamed to <article>.
    assert len(after) == len(before) and after.count("article") == 1
    unchanged = [b for b, a in zip(before, after, strict=True) if a != "article"]
    assert [t for t in after if t != "article"] == unchanged
    assert tree.xpath("string(//footer)") == "Footer" and tree.xpath("//a[@rel='tag']")
