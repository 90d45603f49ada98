"""Main-text rules of extract_article, one small hand-written page per rule."""

from __future__ import annotations

import pytest
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


@pytest.mark.parametrize("wrapper", ["div", "article"])
def test_a_box_named_like_a_body_outside_the_prose_is_not_taken(wrapper: str) -> None:
    # trafilatura takes the first element its patterns match (here the sidebar box's
    # "entry-content" class) before the body, named by <article> or not; it sees only
    # the prose's branch.
    promo = (
        "<div class='sidebar'><div class='entry-content'><p>Our spring sale ends on Sunday: every "
        "course is half price for new students who sign up this week.</p></div></div>"
    )
    longer = [f"{p} {p} {p}" for p in ARTICLE_PARAGRAPHS * 2]
    story = f"<{wrapper} class='story'>{paragraphs(ARTICLE_PARAGRAPHS + longer)}</{wrapper}>"
    text = extract_article(page(promo + story), URL).text
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


def test_author_boxes_dialogs_consent_and_calls_to_action_are_not_text() -> None:
    bio = (
        "Dana Reyes has coached admissions essays for twelve years and writes about college "
        "applications, scholarships and the first year away from home for families."
    )
    html = page(
        f"<article><div class='entry-content'>{paragraphs(ARTICLE_PARAGRAPHS)}"
        "<div class='inline-cta'><p>Book a free call with our essay coaches and get a plan "
        "for your application season in under thirty minutes.</p></div>"
        f"<div itemprop='author' itemscope itemtype='https://schema.org/Person'><p>{bio}</p></div>"
        f"<div class='about-the-author'><p>{bio[::-1]}</p></div></div>"
        "<div role='dialog'><h1>How to write an application essay</h1>"
        + "".join(
            f"<p>Republishing rule {n}: keep the byline, the links and the note at the end of "
            f"the article, and do not change the headline or its meaning ({n}).</p>"
            for n in range(4)
        )
        + "</div></article>"
        "<div class='cookie-notice'><p>Necessary cookies are essential for the website to "
        "function and cannot be switched off in our systems at any time.</p></div>"
    )
    text = extract_article(html, URL).text
    for paragraph in ARTICLE_PARAGRAPHS:
        assert paragraph in text
    for furniture in ("Book a free call", "coached admissions", bio[::-1][:30], "Republishing", "cookies"):
        assert furniture not in text


def test_content_after_an_early_closing_html_tag_is_read() -> None:
    # A broken template closes the page before its content; browsers show the content
    # anyway, while libxml2 drops everything after </html>.
    padding = "".join(f"<li><a href='/s/{n}'>Section {n}</a></li>" for n in range(80))
    steps = [
        f"Step {n}: read the essay aloud once more, slowly, and mark every sentence that "
        f"you would not say to the admissions officer in person ({n})."
        for n in range(1, 17)
    ]
    html = (
        "<html><head><title>How to write an application essay</title></head><body>"
        f"<header><nav><ul>{padding}</ul></nav></header></body></html>"
        f"<div class='post'><h1>How to write an application essay</h1>"
        f"{paragraphs(ARTICLE_PARAGRAPHS)}<h2>Before you submit</h2>{paragraphs(steps)}</div>"
    ).encode()
    result = extract_article(html, URL)
    for paragraph in [*ARTICLE_PARAGRAPHS, *steps]:
        assert paragraph in result.text


def test_a_second_copy_of_the_body_is_dropped_but_a_repeated_line_stays() -> None:
    # Responsive layouts print the body once per screen size; trafilatura keeps both.
    body = paragraphs([*ARTICLE_PARAGRAPHS, ARTICLE_PARAGRAPHS[1][::-1]])
    html = page(f"<article><div class='desktop'>{body}</div><div class='mobile'>{body}</div></article>")
    text = extract_article(html, URL).text
    for paragraph in ARTICLE_PARAGRAPHS:
        assert text.count(paragraph) == 1
    # A sentence the author repeats is not a copy.
    refrain = "Read the prompt again before you write a single word of the next paragraph."
    story = [ARTICLE_PARAGRAPHS[0], refrain, ARTICLE_PARAGRAPHS[1], refrain]
    html = page(f"<article>{paragraphs(story)}</article>")
    assert extract_article(html, URL).text.count(refrain) == 2


def test_reading_time_and_a_bare_author_heading_are_not_text() -> None:
    html = page(
        f"<article><p>6 min read</p>{paragraphs(ARTICLE_PARAGRAPHS)}"
        "<h3>About the Author</h3><p>Lesezeit: 4 Min.</p></article>"
    )
    text = extract_article(html, URL).text
    assert ARTICLE_PARAGRAPHS[0] in text
    for furniture in ("min read", "About the Author", "Lesezeit"):
        assert furniture not in text


def test_a_body_split_around_an_embedded_table_is_read_whole() -> None:
    # Page builders write each stretch of text between two embeds as its own block, and
    # wrap custom HTML (here a table) as an "embed", which trafilatura drops as a social post.
    rows = "".join(
        f"<tr><td>College {n}</td><td>{n * 7}% of applicants admitted</td></tr>" for n in range(1, 6)
    )
    later = [
        f"Draft {n}: put the essay away for a day before you read it again, and cut every "
        f"sentence that repeats what the rest of the application already says ({n})."
        for n in range(1, 13)
    ]
    html = page(
        f"<div class='post-body'><div class='rich-text'>{paragraphs(ARTICLE_PARAGRAPHS)}</div>"
        f"<div class='w-embed'><table>{rows}</table></div>"
        f"<div class='rich-text'>{paragraphs(later)}</div></div>"
    )
    root = find_prose(lxml_html.fromstring(html)).root
    assert root is not None and root.get("class") == "post-body"  # not the larger block alone
    text = extract_article(html, URL).text
    for paragraph in [*ARTICLE_PARAGRAPHS, *later]:
        assert paragraph in text
    assert "35% of applicants admitted" in text


def test_product_boxes_stay_out_even_as_embeds_and_embedded_posts_are_quoted() -> None:
    product = (
        "<div class='embed'><div class='product-card'><p>Essay Planner Pro, a notebook with "
        "prompts for every stage of the application, printed on thick paper that takes ink "
        "well, with a ribbon marker and pockets for notes.</p><table><tr><td>Price</td>"
        "<td>$24</td></tr></table><a class='product-btn' href='/buy'>Buy</a></div></div>"
    )
    tweet = (
        "<div class='embed'><blockquote class='twitter-tweet'><p>Just finished my essay after "
        "eleven drafts and honestly the first one was the best all along, never again.</p>"
        "<p>Posted by a student on a long night in November before the deadline came.</p>"
        "</blockquote></div>"
    )
    html = page(f"<article>{paragraphs(ARTICLE_PARAGRAPHS)}{product}{tweet}</article>")
    text = extract_article(html, URL).text
    assert ARTICLE_PARAGRAPHS[2] in text
    assert "Essay Planner Pro" not in text
    # The post's words are quoted in the story (tests/test_extract_quotations.py).
    assert text.index(ARTICLE_PARAGRAPHS[2]) < text.index("eleven drafts")


def test_a_description_copied_from_the_first_paragraph_stays_a_dek_above_the_body_goes() -> None:
    def with_description(body: str) -> bytes:
        return (
            "<html><head><title>How to write an application essay</title>"
            f"<meta name='description' content='{ARTICLE_PARAGRAPHS[0]}'></head><body>"
            f"<article><h1>How to write an application essay</h1>{body}</article></body></html>"
        ).encode()

    lede = with_description(f"<div class='body'>{paragraphs(ARTICLE_PARAGRAPHS)}</div>")
    assert ARTICLE_PARAGRAPHS[0] in extract_article(lede, URL).text
    dek = with_description(
        f"<p class='dek'>{ARTICLE_PARAGRAPHS[0]}</p>"
        f"<div class='body'>{paragraphs(ARTICLE_PARAGRAPHS[1:])}</div>"
    )
    text = extract_article(dek, URL).text
    assert ARTICLE_PARAGRAPHS[0] not in text
    assert ARTICLE_PARAGRAPHS[1] in text


def test_a_list_of_links_to_other_stories_after_the_body_is_not_text() -> None:
    def links(titles: list[str]) -> str:
        return "<ul>" + "".join(
            f"<li><a href='/story/{n}'>{t}</a> - March {n + 3}, 2025</li>" for n, t in enumerate(titles)
        ) + "</ul>"

    resources = ["The admissions glossary you will need", "Twenty essays that worked, annotated",
                 "A checklist for the week before you submit"]
    archive = ["What I learned from forty campus tours", "Scholarships nobody applies for",
               "The gap year question, answered honestly"]
    html = page(
        f"<article><p>{ARTICLE_PARAGRAPHS[0]}</p>{links(resources)}"
        f"{paragraphs(ARTICLE_PARAGRAPHS[1:])}{links(archive)}</article>"
    )
    text = extract_article(html, URL).text
    assert ARTICLE_PARAGRAPHS[2] in text
    assert "Twenty essays that worked" in text  # the story's own resources, inside the body
    assert "forty campus tours" not in text


def test_teaser_cards_beside_each_other_are_not_text_entries_with_their_own_links_are() -> None:
    teasers = "".join(
        f"<article class='post-card'><h3><a href='/story/{n}'>Another essay story {n}</a></h3>"
        f"<p>An excerpt of the other story that the card announces, cut short ({n})…</p>"
        f"<a href='/story/{n}'>Read more</a></article>"
        for n in range(3)
    )
    entries = "".join(
        f"<article class='entry'><h3><a href='/college/{n}'>College {n}</a></h3>"
        f"<p>College {n} asks for one essay of 650 words and reads every one twice; see "
        f"<a href='/college/{n}/essays'>its prompts</a> before you start.</p></article>"
        for n in range(3)
    )
    html = page(
        f"<main><div class='post'>{paragraphs(ARTICLE_PARAGRAPHS)}{entries}"
        f"<div class='grid'>{teasers}</div></div></main>"
    )
    text = extract_article(html, URL).text
    assert ARTICLE_PARAGRAPHS[0] in text
    assert "reads every one twice" in text
    assert "An excerpt of the other story" not in text


def test_a_menu_left_open_around_the_article_does_not_hide_it() -> None:
    # The page's menu is never closed: parsers nest the article inside <nav>, and
    # trafilatura drops a <nav> with everything in it.
    steps = [f"Step {n}: {t}" for n, t in enumerate(ARTICLE_PARAGRAPHS, 1)]
    html = (
        "<html><head><title>How to write an application essay</title></head><body>"
        "<nav class='navbar'><ul><li><a href='/'>Home</a></li><li><a href='/guides'>Guides</a></li></ul>"
        "<main><h1>How to write an application essay</h1><h2>Before the first draft</h2>"
        f"{paragraphs(ARTICLE_PARAGRAPHS)}<h2>Checklist</h2><ul>"
        + "".join(f"<li>{s}</li>" for s in steps)
        + "</ul></main></body></html>"
    ).encode()
    text = extract_article(html, URL).text
    for paragraph in ARTICLE_PARAGRAPHS:
        assert paragraph in text
    assert "Before the first draft" in text


def test_an_article_inside_a_page_wide_form_or_an_open_button_is_read() -> None:
    # ASP.NET pages wrap the whole page in one <form>; a <button> left open swallows the rest.
    for wrapper in ("<form id='aspnetForm' action='/' method='post'>", "<button class='menu'>Menu"):
        html = page(f"{wrapper}<div class='story'>{paragraphs(ARTICLE_PARAGRAPHS)}</div>")
        root = find_prose(lxml_html.fromstring(html)).root
        assert root is not None and root.get("class") == "story"
        text = extract_article(html, URL).text
        for paragraph in ARTICLE_PARAGRAPHS:
            assert paragraph in text


def test_a_page_about_cookies_keeps_its_cookie_named_parts() -> None:
    steps = [
        "Cream the butter and sugar for three full minutes, until the mixture turns pale.",
        "Fold in the flour by hand so the cookies stay tender instead of tough and dry.",
        "Bake the cookies on the middle rack for eleven minutes, then rest them on the tray.",
    ]
    html = page(
        f"<article>{paragraphs(ARTICLE_PARAGRAPHS)}<div class='cookie-steps'>"
        + "".join(f"<p>{s}</p>" for s in steps)
        + "</div></article>"
    )
    text = extract_article(html, URL).text
    for step in steps:
        assert step in text


def test_a_digest_whose_body_is_a_list_of_story_links_keeps_the_list() -> None:
    # A "more stories" list after the body is furniture; a list longer than all the
    # page's paragraphs together is the body itself.
    items = "".join(
        f"<li><a href='/story/{n}'>Harbour town council votes on the new sea wall plan, part {n}</a></li>"
        for n in range(8)
    )
    html = page(
        "<div class='digest'><p>Every Friday we collect the stories our readers spent the most "
        f"time with this week.</p><ul>{items}</ul></div>",
        title="This week's reads",
    )
    text = extract_article(html, URL).text
    assert "part 0" in text and "part 7" in text


@pytest.mark.parametrize(
    "comment",
    [
        "<div itemscope itemtype='https://schema.org/Comment' class='reply'>{}</div>",
        "<div itemscope itemtype='http://schema.org/Comment'>{}</div>",
        "<div role='comment'>{}</div>",
    ],
)
def test_readers_comments_marked_by_schema_org_type_or_aria_role_are_not_text(comment: str) -> None:
    reply = (
        "<span>Reader {n}</span><p>Reply {n}: my daughter used these tips for her essay last "
        "year and it made all the difference, thank you so much for writing this up.</p>"
    )
    replies = "".join(comment.format(reply.format(n=n)) for n in range(3))
    html = page(f"<article>{paragraphs(ARTICLE_PARAGRAPHS)}<div class='responses'>{replies}</div></article>")
    text = extract_article(html, URL).text
    assert ARTICLE_PARAGRAPHS[2] in text
    assert "Reply 0" not in text and "Reply 2" not in text


def test_a_labelled_list_of_story_links_inside_the_body_is_not_text() -> None:
    links = "".join(
        f"<li><a href='/guides/{n}'>{title}</a></li>"
        for n, title in enumerate(
            ["Ten essay openings that admissions readers remember",
             "How to ask a teacher for a recommendation letter",
             "What to do when the deadline is tomorrow morning"]
        )
    )
    steps = "".join(
        f"<li>{step}</li>" for step in
        ["Read the prompt twice and underline its question", "Write the scene first, the summary last",
         "Ask one reader you trust for a single honest note"]
    )
    html = page(
        f"<article>{paragraphs(ARTICLE_PARAGRAPHS[:2])}<h3>Related stories</h3><ul>{links}</ul>"
        f"<p>Three steps to a first draft:</p><ul>{steps}</ul>{paragraphs(ARTICLE_PARAGRAPHS[2:])}</article>"
    )
    text = extract_article(html, URL).text
    assert ARTICLE_PARAGRAPHS[2] in text and "Ask one reader you trust" in text
    assert "Ten essay openings" not in text and "deadline is tomorrow" not in text
