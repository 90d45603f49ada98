"""Authors: the byline scan beside the headline and the rules that turn bylines into names."""

from __future__ import annotations

import json
import re

import pytest
from lxml import html as lxml_html

from archive.extract import extract_article
from archive.extraction import byline, firstpass, regions
from archive.extraction.authors import split_names
from archive.extraction.boilerplate import find_furniture
from archive.extraction.byline import scan_headline_region


def region(markup: str) -> byline.HeadlineRegion:
    tree = lxml_html.fromstring(f"<html><body>{markup}</body></html>")
    return scan_headline_region(tree, tree.find(".//h1"), month_first=True)


# --- The cheap first pass of scan_headline_region misses nothing the exact tests find.


def test_date_in_a_childs_tail_is_its_parents_line() -> None:
    found = region("<h1>Headline</h1><p><b>Published</b> <!-- cms --> 4 March 2024</p>")
    assert [(d.value, d.distance) for d in found.dates] == [("2024-03-04", 1)]


def test_by_line_in_a_tail_after_a_comment() -> None:
    found = region("<h1>Headline</h1><div><!-- byline -->By Jane Doe</div>")
    assert [b.text for b in found.bylines] == ["By Jane Doe"]


@pytest.mark.parametrize(
    "markup",
    [
        '<span class="POST-AUTHOR">Jane Doe</span>',  # upper case
        '<span id="ArticleByline">Jane Doe</span>',  # camel case
        '<span class="BYLİNE">Jane Doe</span>',  # dotted capital I, matched by re.I
        '<a rel="author" href="/x">Jane Doe</a>',
        '<span itemprop="author">Jane Doe</span>',
        "<p>АВТОР: Иван Петров</p>",  # a label re.I folds from Cyrillic capitals
    ],
)
def test_byline_markup_and_labels_in_any_case(markup: str) -> None:
    found = region(f"<h1>Headline</h1>{markup}")
    assert len(found.bylines) == 1


@pytest.mark.parametrize(
    "markup",
    [
        '<span class="POST-AUTHOR">Jane Doe</span><span class="">x</span>',
        '<a href="/authors/jane-doe">Jane Doe</a><a href="/news">News</a>',
        '<span itemprop="author">Jane Doe</span><div role="dialog" itemprop="author">A</div>',
        '<a rel="author" href="/x">Jane Doe</a><?pi class="author"?><!-- c -->',
    ],
)
def test_furniture_walk_finds_the_byline_markup_the_scan_reads(markup: str) -> None:
    # The head's <link rel="author"> is outside the scan: the body's markup alone counts.
    tree = lxml_html.fromstring(
        f'<html><head><link rel="author" href="/a"></head><body><h1>Headline</h1>{markup}</body></html>'
    )
    found = find_furniture(tree)
    assert found.bylined
    alone = scan_headline_region(tree, tree.find(".//h1"), month_first=True)
    walked = firstpass.Walked(list(tree.iter()), found.bylined, found.telling)
    shared = scan_headline_region(tree, tree.find(".//h1"), month_first=True, walked=walked)
    assert shared == alone
    assert shared.bylines[0].text == "Jane Doe"


@pytest.mark.parametrize(
    "markup",
    [
        "<p><b>Published</b> <!-- cms --> 4 March 2024</p><div><!-- byline -->By Jane Doe</div>",
        "<p>۱۲ آذر ۱۴۰۴</p><p>آذر 1404</p><p>АВТОР: Иван Петров</p><p>by jane doe</p>",
        "<script>var y = 2024;</script><p>Updated: <script>x</script>4 March 2023</p><?pi 2020?>",
        "<div>Intro<p>Text</p>By Jane Doe, 4 March 2024</div>",
    ],
)
def test_furniture_walk_finds_the_texts_the_scan_reads(markup: str) -> None:
    # The head's title and scripts, and the body's tail, are outside the scan.
    tree = lxml_html.fromstring(
        "<html><head><title>News 2024</title><script>a = 2024</script></head>"
        f"<body><h1>Headline</h1>{markup}</body>By 2024</html>"
    )
    found = find_furniture(tree)
    body = tree.find("body")
    assert {el for el in found.telling if el in set(body.iter())} - {
        el for el in firstpass.telling_elements(list(body.iter())) if el.tag not in firstpass.UNREAD_TAGS
    } == set()
    alone = scan_headline_region(tree, tree.find(".//h1"), month_first=True)
    walked = firstpass.Walked(list(tree.iter()), found.bylined, found.telling)
    assert scan_headline_region(tree, tree.find(".//h1"), month_first=True, walked=walked) == alone
    assert alone.dates or alone.bylines


def test_distance_counts_comments_as_the_walk_does() -> None:
    found = region("<h1>Headline</h1><!-- a --><!-- b --><p>By Jane Doe</p>")
    assert found.bylines[0].distance == 3


@pytest.mark.parametrize(
    "text",
    ["author-box", "Post-Author", "BYLINE", "bylİne", "ſtory-posted-by", "Автор", "plain", "", "  "],
)
def test_search_any_case_is_re_ignorecase(text: str) -> None:
    for cased in (firstpass._AUTHOR_MARKUP_CASED, firstpass._BY_WORD_CASED, regions._ELSEWHERE_CASED):
        expected = re.search(cased[1].pattern, text, re.I) is not None
        assert regions.search_any_case(cased, text) is expected


@pytest.mark.parametrize("limit", [0, 5, 11, 12, 40])
def test_short_line_reads_only_as_far_as_the_limit(limit: int) -> None:
    el = lxml_html.fromstring("<div> Jane <b>Doe</b>\n<i>  4 May</i></div>")
    full = byline._line(el)
    assert full == "Jane Doe 4 May"
    assert byline._short_line(el, limit) == (full if len(full) <= limit else None)


# --- Rules that find the author's name.


def authors_of(head: str, body: str) -> list[str]:
    page = f"<html><head>{head}</head><body>{body}</body></html>".encode()
    return extract_article(page, "https://news.example/2024/05/story").authors


STORY = "<p>" + "The council met on Monday and voted to rebuild the harbour wall. " * 12 + "</p>"


def test_json_ld_author_given_by_id_is_the_person_node_it_names() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "NewsArticle", "headline": "Wall", "author": {"@id": "https://news.example/#jane"}},
            {"@type": "Person", "@id": "https://news.example/#jane", "name": "Jane Doe"},
        ],
    }
    head = f'<script type="application/ld+json">{json.dumps(graph)}</script>'
    assert authors_of(head, f"<h1>Wall</h1>{STORY}") == ["Jane Doe"]


def test_twitter_label_written_by_names_the_author() -> None:
    head = (
        '<meta name="twitter:label1" content="Written by"><meta name="twitter:data1" content="Jane Doe">'
        '<meta name="twitter:label2" content="Est. reading time">'
        '<meta name="twitter:data2" content="4 minutes">'
    )
    assert authors_of(head, f"<h1>Wall</h1>{STORY}") == ["Jane Doe"]


def test_twitter_data_under_another_label_is_no_author() -> None:
    head = (
        '<meta name="twitter:label1" content="Est. reading time">'
        '<meta name="twitter:data1" content="4 min">'
    )
    assert authors_of(head, f"<h1>Wall</h1>{STORY}") == []


def test_name_inside_an_author_box() -> None:
    body = (
        f"<h1>Wall</h1>{STORY}"
        '<div class="author-box"><img src="a.jpg" alt=""><h4 class="author-box__name">Jane Doe</h4>'
        '<p class="author-box__bio">Jane covers the harbour for the paper since 2019.</p></div>'
    )
    assert authors_of("", body) == ["Jane Doe"]


@pytest.mark.parametrize(
    "byline_markup",
    [
        "<h2>Article by</h2><div>Jane Doe</div>",
        "<span>Written by</span> <a href='/x'>Jane Doe</a>",
        "<dt>Author:</dt><dd>Jane Doe</dd>",
    ],
)
def test_a_label_alone_names_the_element_after_it(byline_markup: str) -> None:
    assert authors_of("", f"<h1>Wall</h1><div>{byline_markup}</div>{STORY}") == ["Jane Doe"]


def test_on_behalf_of_ends_the_names() -> None:
    assert split_names("Dec. 19, 2025 · Jane Doe on behalf of the Vision group") == ["Jane Doe"]


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("Lance Ryan (Content Manager)", ["Lance Ryan"]),  # a job title in brackets
        ("Paramita (Guha) Ghosh", ["Paramita (Guha) Ghosh"]),  # brackets that are the name's
        ("Acme Corporation (", ["Acme Corporation"]),  # a bracket left open by the cut
    ],
)
def test_a_job_title_in_brackets_is_dropped(raw: str, names: list[str]) -> None:
    assert split_names(raw) == names


def test_after_a_names_job_title_come_its_employers_not_names() -> None:
    raw = "Jane Doe, Senior Director, Content & Marketing, Acme and Widget Institute"
    assert split_names(raw) == ["Jane Doe"]


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("Personal finance", []),
        ("jane doe", ["jane doe"]),
        ("Ludwig van Beethoven", ["Ludwig van Beethoven"]),
    ],
)
def test_long_lower_case_words_after_a_capital_are_no_name(raw: str, names: list[str]) -> None:
    assert split_names(raw) == names


def test_a_link_to_an_authors_page_beside_the_headline_is_the_byline() -> None:
    body = f'<h1>Wall</h1><div><span><a href="/authors/jane-doe">Jane Doe</a></span></div>{STORY}'
    assert authors_of("", body) == ["Jane Doe"]


def test_the_job_title_printed_under_the_name_is_not_the_name() -> None:
    byline_markup = (
        '<a href="/author/jane-doe"><p class="styles_name__x1">Jane Doe</p>'
        '<p class="styles_jobTitle__x2">Tech Reporter</p></a>'
    )
    assert authors_of("", f"<h1>Wall</h1><div>{byline_markup}</div>{STORY}") == ["Jane Doe"]


def test_a_category_link_beside_the_date_is_no_name() -> None:
    line = '<p><a href="/living-healthy">Living Healthy</a> · May 4, 2024</p>'
    assert authors_of("", f"<h1>Wall</h1>{line}{STORY}") == []


def test_a_linked_name_beside_the_date_is_the_author() -> None:
    line = '<p>May 4, 2024 · <a href="/team/jane-doe">Jane Doe</a></p>'
    assert authors_of("", f"<h1>Wall</h1>{line}{STORY}") == ["Jane Doe"]


# --- Whose name the markup states, and whose it only seems to.


def ld(*objects: dict[str, object]) -> str:
    return "".join(f'<script type="application/ld+json">{json.dumps(o)}</script>' for o in objects)


def test_teasers_json_ld_articles_do_not_add_their_authors() -> None:
    head = ld(
        {"@type": "NewsArticle", "author": [{"@type": "Person", "name": "Jane Doe"}]},
        {"@type": "NewsArticle", "author": [{"@type": "Person", "name": "Tom Roe"}]},
    )
    assert authors_of(head, f"<h1>Wall</h1>{STORY}") == ["Jane Doe"]


@pytest.mark.parametrize(
    "head",
    [
        ld({"@type": "Article", "author": {"@type": "Organization", "name": "Harbour News"}}),
        '<meta name="author" content="Kneib Dentistry PC">',  # a company's legal form
        ld({"@type": "Article", "author": {"@type": "Person", "name": "Acme Media Inc."}}),
    ],
)
def test_an_organisation_the_page_does_not_print_is_no_author(head: str) -> None:
    assert authors_of(head, f"<h1>Wall</h1>{STORY}") == []


def test_by_someone_else_beside_the_headline_overrules_the_posting_account() -> None:
    head = '<meta name="author" content="Luke Daigle">'
    body = f"<h1>Wall</h1><p>By: Paul Fenaroli</p>{STORY}"
    assert authors_of(head, body) == ["Paul Fenaroli"]


@pytest.mark.parametrize("printed", ["By TurboTaxJane", "By Jane Doe, MD", "Jane Roe"])
def test_a_handle_the_same_person_or_no_by_leaves_the_stated_author(printed: str) -> None:
    head = '<meta name="author" content="Jane Doe">'
    assert authors_of(head, f"<h1>Wall</h1><p>{printed}</p>{STORY}") == ["Jane Doe"]


# --- Words printed beside the name that are no names.


@pytest.mark.parametrize(
    "line",
    [
        '<section class="byline"><span>March 20, 2023</span> | '
        '<span class="byline__category"><a href="/wellness">Wellness &amp; Prevention</a></span></section>',
        '<div>May 4, 2024 <a rel="category tag" href="/columnists/jane-doe/">Proof Points</a></div>',
        '<ul><li>May 4, 2024</li><li><span class="postmeta-term">Digital Organization</span></li></ul>',
    ],
)
def test_categories_in_the_byline_are_no_names(line: str) -> None:
    assert authors_of("", f"<h1>Wall</h1>{line}{STORY}") == []


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("<p>Aaron Ricadela | Senior Writer | July 2, 2025</p>", ["Aaron Ricadela"]),
        ("<p>March 15, 2022 <span>·</span> 3 min read <span>·</span> By Harbour Desk</p>",
         ["Harbour Desk"]),
        ('<p><span>Dec 26, 2025</span> • Mahua Das in <a href="/blog/pm">Project Management</a></p>',
         ["Mahua Das"]),
        ("<p>Jane Doe | May 4, 2024 | Products Liability</p>", ["Jane Doe"]),  # after the date
        ('<p>May 4, 2024 · <a href="https://shop.example/sub"><span>External link to</span>'
         " Harbour Magazine Subscription – 5 issues</a></p>", []),
    ],
)
def test_names_in_the_dates_line(line: str, names: list[str]) -> None:
    assert authors_of("", f"<h1>Wall</h1>{line}{STORY}") == names


def test_a_date_loose_in_a_long_block_lends_no_names_to_its_headings() -> None:
    block = f"<fieldset><legend>Week 2</legend> 20 December 2025 {STORY}<h3>Add A Comment</h3></fieldset>"
    body = f"<h1>Wall</h1>{block}"
    assert authors_of("", body) == []


# --- Bylines away from the headline, and names without a byline's wording.


# Far from the headline: more elements between them than a byline's neighbourhood holds.
LONG_STORY = "<div>" + "<p>The wall was rebuilt.</p>" * 320 + "</div>"


def test_a_labelled_byline_below_the_story_when_none_is_beside_the_headline() -> None:
    footer = '<div class="entry-footer"><p>By: <a href="/u/7">Ray Ansari</a></p></div>'
    assert authors_of("", f"<h1>Wall</h1>{STORY}{LONG_STORY}{footer}") == ["Ray Ansari"]


def test_one_word_after_by_below_the_story_is_a_filter_not_a_name() -> None:
    filters = "<ul><li><p>By Category</p></li><li><p>By Manufacturer</p></li></ul>"
    assert authors_of("", f"<h1>Wall</h1>{STORY}{LONG_STORY}{filters}") == []


def test_the_articles_own_footer_is_not_the_pages_footer() -> None:
    footer = '<div class="article-template-footer-main"><span itemprop="author">The Diggs Team</span></div>'
    assert authors_of("", f"<h1>Wall</h1>{STORY}{footer}") == ["The Diggs Team"]


def test_a_bold_label_and_the_name_after_it() -> None:
    line = "<div><strong>Contributors:</strong> Janet Loughrey</div>"
    assert authors_of("", f"<h1>Wall</h1>{line}{STORY}") == ["Janet Loughrey"]


def test_an_author_box_whose_name_has_no_class() -> None:
    box = (
        '<div class="blog_author-text"><div class="text-semibold">Lauren Vetter</div>'
        f"<p>{'Lauren writes about marketing for clinics and their patients. ' * 4}</p></div>"
    )
    assert authors_of("", f"<h1>Wall</h1>{STORY}{box}") == ["Lauren Vetter"]


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("CM Craig McCarthy", ["Craig McCarthy"]),  # the avatar's initials
        ("AJ Smith", ["AJ Smith"]),  # initials that are the first name
        ("SFist Contributor", ["SFist Contributor"]),  # a desk's pen name
        ("Keith Barry Senior Autos Reporter", ["Keith Barry"]),
        ("Webmaster", []),
        ("Human in the Loop", ["Human in the Loop"]),  # "in" before a place is capitalised
    ],
)
def test_name_forms(raw: str, names: list[str]) -> None:
    assert split_names(raw) == names


def test_a_json_ld_author_reference_of_an_odd_shape_does_not_fail_the_page() -> None:
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Harbour wall",
            "author": [{"@id": ["#a", "#b"]}, {"@type": "Person", "name": "Jane Doe"}]}
    html = (
        f"<html><head><script type='application/ld+json'>{json.dumps(data)}</script></head><body>"
        "<article><h1>Harbour wall</h1><p>" + "The harbour wall was repaired this week. " * 8
        + "</p></article></body></html>"
    )
    result = extract_article(html.encode(), "https://coast.example/harbour-wall")
    assert result.status == "ok" and result.authors == ["Jane Doe"]


INTL_PROSE = "<p>" + "Il consiglio comunale ha approvato il bilancio dopo una discussione. " * 4 + "</p>"


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("<div class='autore'>di <b>Giulia Rossi</b></div>", ["Giulia Rossi"]),
        ("<span>Yazar: Mehmet Yılmaz</span>", ["Mehmet Yılmaz"]),
        ("<p>بقلم: أحمد محمود</p>", ["أحمد محمود"]),
        ("<p>نویسنده: علی رضایی</p>", ["علی رضایی"]),
        ("<p>מאת יעל כהן</p>", ["יעל כהן"]),
        ("<p>记者 张伟 李娜</p>", ["张伟", "李娜"]),
        ("<p>作者：张伟</p>", ["张伟"]),
        ("<div>2025年12月03日 09:30 来源：例子网 记者 张伟 李娜</div>", ["张伟", "李娜"]),
        ("<div>来源：新华社 作者：张伟 编辑：李娜</div>", ["张伟"]),
        ("<p>山田太郎記者</p>", ["山田太郎"]),
        ("<p>김민수 기자 minsu@example.co.kr</p>", ["김민수"]),
        ("<p>Texto: João Silva</p>", ["João Silva"]),
        ("<p>Par Claire Dubois avec AFP</p>", ["Claire Dubois"]),
        ("<p>Par Claire Dubois, envoyée spéciale à Kiev</p>", ["Claire Dubois"]),
        ("<p>Di Giulia Rossi, inviata a Genova</p>", ["Giulia Rossi"]),
        ("<p>Autorzy: Anna Nowak i Jan Kowalski</p>", ["Anna Nowak", "Jan Kowalski"]),
        ("<p>Autoren: Anna Schneider und Jonas Weber</p>", ["Anna Schneider", "Jonas Weber"]),
        ("<p>Muhabir: Ayşe Demir</p>", ["Ayşe Demir"]),
        ("<p>Von Anna Schneider mit Material von dpa</p>", ["Anna Schneider"]),
    ],
)
def test_bylines_in_other_languages_give_the_names(line: str, names: list[str]) -> None:
    html = (
        "<html><head><title>Bilancio approvato</title></head><body><article>"
        f"<h1>Bilancio approvato</h1>{line}{INTL_PROSE * 3}</article></body></html>"
    )
    assert extract_article(html.encode(), "https://news.example/a/1").authors == names


@pytest.mark.parametrize(("raw", "names"), [
    # A wire service or the place of writing after the name is no second author.
    ("By Jane Doe, Reuters", ["Jane Doe"]),
    ("By JANE DOE, REUTERS", ["JANE DOE"]),
    ("By Jane Doe, AFP", ["Jane Doe"]),
    ("Von Anna Schneider, Berlin", ["Anna Schneider"]),
    ("By Jane Doe and John Smith, Associated Press", ["Jane Doe", "John Smith"]),
    ("By Jane Doe, Kyodo News", ["Jane Doe"]),
    # Degrees after a name stay with it: they were split off as authors named "MS" and "RD".
    ("By Jane Doe, MD, MPH", ["Jane Doe, MD, MPH"]),
    ("Written by Sam Lee, Ph.D.", ["Sam Lee, Ph.D"]),
    ("Ann Poe, RD, and Bo Chen, CFP®", ["Ann Poe, RD", "Bo Chen, CFP®"]),
    # Two people, and names written without spaces, stay apart.
    ("By Jane Doe, John Smith", ["Jane Doe", "John Smith"]),
    ("张伟，李娜", ["张伟", "李娜"]),
])
def test_what_follows_a_name_after_a_comma(raw: str, names: list[str]) -> None:
    assert split_names(raw) == names
