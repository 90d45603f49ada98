"""The metadata researchers filter and facet on (language, section, tags, site name,
description, image, canonical URL): values as the page means them, without markup junk."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

from archive.extract import extract_article
from archive.index import index_warc_directory, open_index
from tests.index_docs import BASE, Crawl, metadata

URL = "https://news.example/2024/05/06/budget"
BODY = "<p>" + "The council approved the budget after a long debate on the harbour. " * 9 + "</p>"


def page(head: str = "", lang: str = "lang='en'", body: str = BODY) -> bytes:
    return (f"<html {lang}><head><meta charset='utf-8'><title>Budget approved by council</title>"
            f"{head}</head><body><article><h1>Budget approved by council</h1>{body}</article>"
            "</body></html>").encode()


def json_ld(**fields: object) -> str:
    return f'<script type="application/ld+json">{json.dumps({"@type": "NewsArticle", **fields})}</script>'


def test_html_entities_in_json_ld_are_read_as_the_characters_they_stand_for() -> None:
    """JSON-LD is script text, which no HTML parser decodes, and Yoast and other WordPress
    plugins write it HTML-escaped: the section facet said "M&amp;A Tracker" (5 of the 793 dev
    pages had such a section, tag or description)."""
    result = extract_article(page(json_ld(
        articleSection=["M&amp;A Tracker"], keywords=["Plants &amp; Crops", "One&amp;Only"],
        description="Homeowners aren&rsquo;t offering a drink&nbsp;&nbsp;",
        publisher={"@type": "Organization", "name": "Tom &amp; Jerry&#8217;s News"},
    )), URL)
    assert result.section == "M&A Tracker"
    assert result.tags == ["Plants & Crops", "One&Only"]
    assert result.description == "Homeowners aren\u2019t offering a drink"
    assert result.sitename == "Tom & Jerry\u2019s News"


def test_a_meta_value_escaped_twice_is_read_once_more() -> None:
    head = ('<meta property="og:site_name" content="Arts &amp;amp; Culture Weekly">'
            '<meta property="article:section" content="Arts &amp;amp; Culture">'
            '<meta name="description" content="Explore pricing &amp;amp; costs.">')
    result = extract_article(page(head), URL)
    assert (result.sitename, result.section, result.description) == (
        "Arts & Culture Weekly", "Arts & Culture", "Explore pricing & costs.")


@pytest.mark.parametrize("value", ["R&D at Q&A", "AT&T; Verizon", "Tom&notes in a&paragraph"])
def test_an_ampersand_that_opens_no_entity_is_kept(value: str) -> None:
    # html.unescape reads "&not" and "&para" without their semicolons (HTML's legacy rule).
    result = extract_article(page(json_ld(articleSection=value)), URL)
    assert result.section == value


def test_markup_in_a_description_is_dropped() -> None:
    head = ('<meta name="description" content="&lt;p&gt;We introduce &lt;strong&gt;Mini-SGLang'
            '&lt;/strong&gt;, a &lt;a href=&quot;/x&quot;&gt;framework&lt;/a&gt;.&lt;/p&gt;">')
    assert extract_article(page(head), URL).description == "We introduce Mini-SGLang, a framework."


@pytest.mark.parametrize(("head", "image"), [
    # A placeholder or a broken first candidate hid the page's usable image.
    ('<meta property="og:image" content="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
     '<meta name="twitter:image" content="/img/storm.jpg">', "https://news.example/img/storm.jpg"),
    ('<meta property="og:image" content="https://[::1/x.jpg">'
     '<meta property="og:image" content="//cdn.news.example/storm.jpg">', "https://cdn.news.example/storm.jpg"),
    ('<meta property="og:image" content="javascript:void(0)">'
     + json_ld(image={"@type": "ImageObject", "url": "/img/storm.jpg"}), "https://news.example/img/storm.jpg"),
    # schema.org's ImageObject names its file contentUrl as often as url.
    (json_ld(image={"@type": "ImageObject", "contentUrl": "/img/storm.jpg"}), "https://news.example/img/storm.jpg"),
    (json_ld(image=[{"@type": "ImageObject", "contentUrl": "/img/storm.jpg"}, "/img/other.jpg"]),
     "https://news.example/img/storm.jpg"),
    ('<script type="application/ld+json">{"@graph": [{"@type": "NewsArticle", "image": {"@id": "#primary"}},'
     ' {"@type": "ImageObject", "@id": "#primary", "url": "/img/storm.jpg"}]}</script>',
     "https://news.example/img/storm.jpg"),
])
def test_the_first_usable_image_is_kept(head: str, image: str) -> None:
    assert extract_article(page(head), URL).image == image


@pytest.mark.parametrize(("lang", "head", "language"), [
    # schema.org's inLanguage is a tag, a list of them, or a Language object.
    ("", json_ld(inLanguage={"@type": "Language", "name": "German", "alternateName": "de"}), "de"),
    ("", json_ld(inLanguage=["fr-FR"]), "fr"),
    # A template's unfilled or "undetermined" lang hid the language its meta tags declare.
    ("lang='{{ lang }}'", '<meta property="og:locale" content="fr_FR">', "fr"),
    ("lang='und'", '<meta http-equiv="content-language" content="de-AT">', "de"),
    ("lang='zxx'", "", None),
    # Codes ISO withdrew, which Java's Locale still writes: Hebrew, Indonesian and Yiddish
    # pages came out under a language of their own in the facet.
    ("lang='iw'", "", "he"), ("lang='in-ID'", "", "id"), ("lang='ji'", "", "yi"),
    ("lang=' EN-gb '", "", "en"),
    # ISO 639-2 codes (bibliographic and terminological) and English names came out as a
    # language of their own in the facet: "eng" and "english" beside "en".
    ("lang='eng'", "", "en"), ("lang='ger'", "", "de"), ("lang='fra-FR'", "", "fr"),
    ("lang='{{ lang }}'", '<meta name="language" content="English">', "en"),
    ("", '<meta name="language" content=" german ">', "de"),
    # Named in itself, as sites in the language write it: no language in the facet before.
    ("", '<meta name="language" content="Deutsch">', "de"),
    ("", '<meta name="language" content="Français">', "fr"),
    ("", '<meta name="language" content="русский">', "ru"),
    ("lang='fil'", "", "fil"),  # no two-letter code: kept
    ("", '<meta name="language" content="Klingonish">', None),
])
def test_the_language_is_the_first_declared_tag_that_names_one(
    lang: str, head: str, language: str | None
) -> None:
    assert extract_article(page(head, lang=lang), URL).language == language


def test_the_table_of_languages_named_in_themselves_is_babels() -> None:
    # Shipped with the package (built from CLDR it cost each worker 0.26 s): a Babel upgrade
    # that names a language otherwise fails here (language.own_names_from_cldr says the fix).
    from archive.extraction.language import OWN_NAMES, own_names_from_cldr

    assert json.loads(OWN_NAMES.read_text(encoding="utf-8")) == own_names_from_cldr()


def test_a_page_in_english_by_iso_639_2_code_or_name_reads_dates_month_first() -> None:
    # 03/04/2024 is March 4 in a page declared English without a region; declared "eng" or
    # "English" it was read as 3 April.
    dateline = "<p class='date'>Published 03/04/2024</p>"
    for lang, head in (("lang='en'", ""), ("lang='eng'", ""),
                       ("", '<meta name="language" content="English">')):
        assert extract_article(page(head, lang=lang, body=dateline + BODY), URL).published == \
            "2024-03-04", lang or head


@pytest.mark.parametrize(("head", "tags"), [
    # One tag written twice in two cases made two values (dev page: "Index funds", "index funds").
    ('<meta name="keywords" content="Politics, politics ,  Budget,BUDGET, , Harbour">',
     ["Politics", "Budget", "Harbour"]),
    # Keywords separated by semicolons came out as one tag (one of the 793 dev pages).
    ('<meta name="keywords" content="mental health; mindfulness; meditation">',
     ["mental health", "mindfulness", "meditation"]),
    (json_ld(keywords="Arts &amp; Culture; Food &#8211; Drink"), ["Arts & Culture", "Food \u2013 Drink"]),
    (json_ld(keywords=[{"@type": "DefinedTerm", "name": "Budget"}, "Harbour"]), ["Budget", "Harbour"]),
])
def test_tags_are_split_and_counted_once(head: str, tags: list[str]) -> None:
    assert extract_article(page(head), URL).tags == tags


@pytest.mark.parametrize("rel", ["Canonical", "CANONICAL", "alternate\tcanonical"])
def test_rel_canonical_is_read_in_any_case(rel: str) -> None:
    """HTML link types are case-insensitive: rel="Canonical" was not read, and the crawl
    stored the story under the URL it happened to be fetched by."""
    head = f'<link rel="{rel}" href="/2024/05/06/budget-approved">'
    assert extract_article(page(head), URL).canonical_url == "https://news.example/2024/05/06/budget-approved"


@pytest.mark.parametrize(("head", "section"), [
    # WordPress themes write every category into one JSON-LD string: the facet had a value per
    # combination ("How to, Plumbing Industry, Sales"; 8 of the 793 dev pages).
    (json_ld(articleSection="How to, Plumbing Industry, Sales"), "How to"),
    (json_ld(articleSection=["College of Behavioral, Social and Health Sciences", "Research"]),
     "College of Behavioral, Social and Health Sciences"),
    # A breadcrumb's root and WordPress's placeholder name no section.
    (json_ld(articleSection="Home, Stuff We Love, Expert Product Reviews &amp; Buying Guides"),
     "Stuff We Love"),
    (json_ld(articleSection=["Uncategorized"]), None),
    # A URL or a paragraph in the section slot (dev pages) is no section; another source may be.
    (json_ld(articleSection="https://news.example/blog/travel-hacks/"), None),
    ('<meta property="article:section" content="Staying ahead of fitness trends keeps personal '
     'trainers competitive and in demand as new technologies and training styles emerge quickly.">'
     + json_ld(articleSection="Fitness"), "Fitness"),
    ('<meta property="article:section" content="Politics">' + json_ld(articleSection="World"), "Politics"),
])
def test_the_section_is_one_label(head: str, section: str | None) -> None:
    assert extract_article(page(head), URL).section == section


def test_the_facets_researchers_filter_on_hold_one_value_per_language_and_section(tmp_path: Path) -> None:
    """Pages extracted as the crawl extracts them, archived, indexed and served with our
    Datasette metadata: one facet value per language and per section, however the pages
    spell them."""
    pages = {
        "/news/deal": page(json_ld(articleSection="M&amp;A Tracker, Deals",
                                   keywords="Mergers; mergers; M&amp;A"), lang="lang='en-GB'"),
        "/news/merger": page('<meta property="article:section" content="M&amp;amp;A Tracker">' + json_ld(),
                             lang="lang='EN-us'", body=BODY.replace("budget", "merger")),
        "/news/knesset": page(json_ld(articleSection="Home, Politics", inLanguage="he"),
                              lang="lang='{{ lang }}'", body=BODY.replace("budget", "bill")),
    }
    crawl = Crawl(tmp_path / "warc", None)
    for path, body in pages.items():
        article = extract_article(body, BASE + path).to_dict()
        crawl.fetch(path, body, meta=metadata(path, article=article))
    crawl.writer.close()
    db = open_index(tmp_path / "index.db")
    index_warc_directory(db, tmp_path / "warc")
    db.close()

    async def facets() -> dict[str, dict[str, int]]:
        config = yaml.safe_load((Path(__file__).parents[1] / "config/datasette.yaml").read_text())
        ds = Datasette([str(tmp_path / "index.db")], metadata=config, settings={"suggest_facets": False})
        response = await ds.client.get("/index/articles.json?_facet_array=tags")
        results = response.json()["facet_results"]
        return {name: {v["value"]: v["count"] for v in results[name]["results"]}
                for name in ("language", "section", "tags")}

    assert asyncio.run(facets()) == {
        "language": {"en": 2, "he": 1},
        "section": {"M&A Tracker": 2, "Politics": 1},
        "tags": {"Mergers": 1, "M&A": 1},
    }


@pytest.mark.parametrize(("modified", "kept"), [
    ("2024-02-01T10:00:00Z", False),  # months before: a template's or an old page's date
    ("2024-03-01", False),
    ("2024-03-03T22:00:00-05:00", True),  # the day before, in another zone: the same hours
    ("2024-03-04T09:00:00+02:00", True),
    ("2024-03-09T10:00:00Z", True),
])
def test_a_modified_date_days_before_the_publication_is_no_modification(modified: str, kept: bool) -> None:
    """5 of the 487 dev pages with a modified date gave one days or months before their
    (right) publication date: a WebPage's dateModified, a stale template value."""
    head = json_ld(datePublished="2024-03-04T10:00:00+01:00", dateModified=modified)
    result = extract_article(page(head), URL)
    assert result.published == "2024-03-04T10:00:00+01:00"
    assert (result.modified is not None) == kept


@pytest.mark.parametrize(("declared", "image"), [
    ("/files/Facebook Link Photo.png", "https://news.example/files/Facebook%20Link%20Photo.png"),
    ("/wp/魔极客LOGO.png", "https://news.example/wp/%E9%AD%94%E6%9E%81%E5%AE%A2LOGO.png"),
    ("https://faß.example/a%20b.jpg?w=1&h=2", "https://xn--fa-hia.example/a%20b.jpg?w=1&h=2"),
])
def test_the_image_is_a_url_as_a_browser_requests_it(declared: str, image: str) -> None:
    """An og:image with spaces in its path (a dev page) went into the index as written: no
    URL, and a link cut at its first space."""
    assert extract_article(page(f'<meta property="og:image" content="{declared}">'), URL).image == image


def test_image_references_are_looked_up_once_not_once_per_reference() -> None:
    """Each JSON-LD image given by @id was looked for in the whole graph: 20,000 references
    among 20,000 objects (a 1.1 MB page) took 21 s of a worker, past the 30 s extraction
    timeout a little further on, and the article was lost."""
    count = 15_000
    graph = [{"@type": "NewsArticle", "headline": "Budget approved by council",
              "image": [{"@id": f"#img{n}"} for n in range(count)]}]
    graph += [{"@type": "ImageObject", "@id": f"#img{n}"} for n in range(count - 1)]
    graph += [{"@type": "ImageObject", "@id": f"#img{count - 1}", "url": "/img/storm.jpg"}]
    head = f'<script type="application/ld+json">{json.dumps({"@graph": graph})}</script>'
    started = time.monotonic()
    result = extract_article(page(head), URL)
    assert result.image == "https://news.example/img/storm.jpg"
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("h1", "title"),
    [
        ("Top MBA Programs of 2025 (US)<br>Your Guide to the Best Schools",
         "Top MBA Programs of 2025 (US) Your Guide to the Best Schools"),
        (" WEEKEND<br>CODING<br> <span>AGENT</span> ", "WEEKEND CODING AGENT"),
        ("Budget <b>appro</b>ved<!-- x --> by council", "Budget approved by council"),
        ("Tools for 2026 | Python, SQL &amp;#x26; AI", "Tools for 2026 | Python, SQL & AI"),
    ],
)
def test_the_headline_reads_a_line_break_as_a_space_and_an_entity_escaped_twice_once_more(
    h1: str, title: str
) -> None:
    html = (f"<html lang='en'><head><title>Something else entirely</title></head><body><article>"
            f"<h1>{h1}</h1>{BODY}</article></body></html>").encode()
    assert extract_article(html, URL).title == title


@pytest.mark.parametrize(
    ("h1", "title"),
    [
        # A theme's dateline or byline inside the h1, the declared title the rest of it.
        ("Harbour budget approved after a long night <span>Posted on July 1, 2024 by admin</span>",
         "Harbour budget approved after a long night"),
        ("<a href='/2024/05/06/budget'><time>Dec <b>18</b> 2025</time> Harbour budget approved after "
         "a long night</a>", "Harbour budget approved after a long night"),
        # A year alone is the headline's own, and so is a fuller headline than the SEO title.
        ("2025 Harbour budget approved after a long night",
         "2025 Harbour budget approved after a long night"),
        ("Harbour budget approved after a long night of debate",
         "Harbour budget approved after a long night of debate"),
        # A byline by name is cut; a fuller headline that goes on with "by", or mentions a
        # date, is the headline (it was cut to the SEO title: "by" began a byline).
        ("Harbour budget approved after a long night <span>By Jane Doe</span>",
         "Harbour budget approved after a long night"),
        ("Harbour budget approved after a long night by the port authority",
         "Harbour budget approved after a long night by the port authority"),
        ("Harbour budget approved after a long night: what the 1 July 2024 vote means for "
         "fishermen and ferries", "Harbour budget approved after a long night: what the "
         "1 July 2024 vote means for fishermen and ferries"),
    ],
)
def test_a_dateline_set_inside_the_h1_is_not_part_of_the_headline(h1: str, title: str) -> None:
    head = "<meta property='og:title' content='Harbour budget approved after a long night'>"
    html = (f"<html lang='en'><head><title>News</title>{head}</head><body><article>"
            f"<h1>{h1}</h1>{BODY}</article></body></html>").encode()
    assert extract_article(html, URL).title == title


def test_a_teaser_h1_linking_another_story_does_not_beat_the_page_s_own() -> None:
    teaser = ("<h1 class='item__title'><a href='/2024/05/01/ferry'>Where the ferry to the harbour "
              "goes next</a></h1>")
    html = ("<html lang='en'><head><title>Where the harbour budget goes | News</title></head><body>"
            f"<main><h1 class='headline'>Council approves the harbour budget</h1>{BODY}"
            f"<div class='cards'>{teaser}</div></main></body></html>").encode()
    assert extract_article(html, URL).title == "Council approves the harbour budget"


@pytest.mark.parametrize("href", ["https://www.news.example/2024/05/06/budget/", "http://[bad"])
def test_an_h1_linking_its_own_page_on_the_www_twin_is_still_the_headline(href: str) -> None:
    html = ("<html lang='en'><head><title>Harbour budget: council approves | News</title></head><body>"
            f"<main><h1><a href='{href}'>Council approves the harbour budget</a></h1>{BODY}"
            "<h1>Harbour news in brief</h1></main></body></html>").encode()
    assert extract_article(html, URL).title == "Council approves the harbour budget"
