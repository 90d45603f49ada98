"""HTML rendering of the demo site's pages from string templates."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from html import escape
from importlib import resources
from string import Template

from archive.demosite import furniture, text
from archive.demosite.content import BOILERPLATE, PER_PAGE, DemoArticle, DemoManifest, author_slug


@cache
def template(name: str) -> Template:
    source = resources.files("archive.demosite").joinpath("templates", name)
    return Template(source.read_text(encoding="utf-8"))


def _display_date(iso: str) -> str:
    when = datetime.fromisoformat(iso)
    return f"{when:%b}. {when.day}, {when.year}, {when:%H:%M}"


def _nav() -> str:
    return "\n".join(f'  <li><a href="/section/{slug}">{name}</a></li>'
                     for slug, name in text.SECTIONS.items())


def layout(manifest: DemoManifest, *, title: str, main: str, description: str = "",
           head: str = "", body_class: str = "page", lang: str = "en",
           charset: str = "utf-8") -> str:
    weight = (furniture.full(manifest.seed, tuple((a.path, a.title) for a in manifest.articles[:24]))
              if manifest.furniture == "full" else furniture.NONE)
    return template("layout.html").substitute(
        lang=lang, charset=charset, title=escape(title), description=escape(description),
        furniture_head=weight.head, furniture_top=weight.top, furniture_bottom=weight.bottom,
        head=head, body_class=body_class, nav=_nav(), main=main,
        support_banner=escape(BOILERPLATE["support_banner"]),
        copyright=escape(manifest.boilerplate["copyright"]),
    )


def _article_head(article: DemoArticle, base: str) -> str:
    names = ", ".join(article.authors)
    meta = [
        ("property", "og:type", "article"),
        ("property", "og:url", base + article.path),
        ("property", "og:image", base + article.image),
        ("property", "og:description", article.description),
        ("property", "article:published_time", article.published),
        ("property", "article:modified_time", article.modified),
        ("property", "article:section", article.section),
        *[("property", "article:tag", tag) for tag in article.tags],
        ("name", "author", names),
    ]
    lines = [f'<meta {kind}="{key}" content="{escape(value)}">' for kind, key, value in meta]
    lines.append(f'<link rel="canonical" href="{escape(base + article.path)}">')
    ld = {
        "@context": "https://schema.org", "@type": "NewsArticle",
        "headline": article.title, "description": article.description,
        "datePublished": article.published, "dateModified": article.modified,
        "author": [{"@type": "Person", "name": name, "url": f"{base}/author/{author_slug(name)}"}
                   for name in article.authors],
        "publisher": {"@type": "NewsMediaOrganization", "name": "The Demo Times",
                      "logo": {"@type": "ImageObject", "url": f"{base}/static/logo.png"}},
        "image": [base + article.image], "articleSection": article.section,
        "keywords": article.tags, "inLanguage": article.language,
        "mainEntityOfPage": base + article.path,
    }
    # ensure_ascii=False keeps the cp1251 page's JSON-LD readable; "</" cannot end the script.
    payload = json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
    lines.append(f'<script type="application/ld+json">{payload}</script>')
    return "\n".join(lines)


def _article_body(article: DemoArticle) -> str:
    parts = []
    for i, paragraph in enumerate(article.paragraphs):
        if i == article.subheading_index:
            parts.append(f"  <h2>{escape(paragraph)}</h2>")
        elif i == article.quote_index:
            parts.append(f"  <blockquote><p>{escape(paragraph)}</p></blockquote>")
        else:
            parts.append(f"  <p>{escape(paragraph)}</p>")
        if i == 1:
            # An ad slot inside the body, as real pages have; its label is boilerplate.
            parts.append('  <div class="ad-slot" data-slot="inline-1">'
                         f'<span>{BOILERPLATE["advertisement"]}</span></div>')
    return "\n".join(parts)


def _comments(article: DemoArticle) -> str:
    if not article.has_comments:
        return ""
    items = "\n".join(
        f'  <li class="comment"><span class="comment__author">reader{article.id % 97 + n}</span>'
        f"<p>{escape(body)}</p></li>" for n, body in enumerate(article.comments))
    return (f' <section class="comments" id="comments">\n  <h3>{BOILERPLATE["comments_heading"]}'
            f"</h3>\n  <ol>\n{items}\n  </ol>\n </section>")


def render_article(manifest: DemoManifest, article: DemoArticle, base: str) -> bytes:
    byline = " and ".join(f'<a href="/author/{author_slug(n)}" rel="author">{escape(n)}</a>'
                          for n in article.authors)
    tags = "\n".join(f'  <li><a href="/tag/{text.slugify(t)}" rel="tag">{escape(t)}</a></li>'
                     for t in article.tags)
    related = "\n".join(
        f'   <li><a href="{p}">{escape(manifest.article(p).title)}</a></li>'
        for p in article.related_paths)
    b = {k: escape(v) for k, v in BOILERPLATE.items()}
    main = template("article.html").substitute(
        section=article.section_slug, section_name=escape(article.section),
        headline=escape(article.title), description=escape(article.description),
        byline=byline, published=article.published,
        published_display=_display_date(article.published), modified=article.modified,
        modified_display=_display_date(article.modified), image=article.image,
        image_alt=escape(article.caption.rstrip(".")), caption=escape(article.caption),
        credit=escape(article.photo_credit), body=_article_body(article), tags=tags,
        newsletter_heading=b["newsletter_heading"], newsletter_text=b["newsletter_text"],
        donation_banner=b["donation_banner"], donation_heading=b["donation_heading"],
        donation_text=b["donation_text"], donation_later=b["donation_later"],
        read_more=b["read_more"], related=related, comments=_comments(article),
    )
    page = layout(manifest, title=article.title, main=main, description=article.description,
                  head=_article_head(article, base), body_class="page page--article",
                  lang=article.language, charset=article.charset)
    return page.encode(article.charset)


def _item(article: DemoArticle, path: str | None = None) -> str:
    return (f'  <li class="teaser"><a href="{escape(path or article.path)}">'
            f"{escape(article.title)}</a> "
            f'<time datetime="{article.published}">{_display_date(article.published)}</time>'
            f"<p>{escape(article.description)}</p></li>")


def _listing(manifest: DemoManifest, *, kind: str, heading: str, intro: str, items: list[str],
             pager: str = "") -> bytes:
    main = template("listing.html").substitute(
        kind=kind, heading=escape(heading), intro=escape(intro), items="\n".join(items),
        pager=pager)
    return layout(manifest, title=heading, main=main, description=intro,
                  body_class=f"page page--{kind}").encode("utf-8")


def render_home(manifest: DemoManifest) -> bytes:
    latest = [_item(a) for a in manifest.articles[:12]]
    sections = [f'  <li class="section-link"><a href="/section/{slug}">More {name}</a></li>'
                for slug, name in text.SECTIONS.items()]
    return _listing(manifest, kind="home", heading="Latest news",
                    intro="Independent reporting from Northbridge and beyond.",
                    items=latest + sections)


def render_section(manifest: DemoManifest, slug: str, page: int) -> bytes | None:
    if slug not in text.SECTIONS:
        return None
    articles = manifest.section_articles(slug)
    pages = max(1, -(-len(articles) // PER_PAGE))
    if not 1 <= page <= pages:
        return None
    items = [_item(a) for a in articles[(page - 1) * PER_PAGE:page * PER_PAGE]]
    if page == 1:
        items += _planted_links(manifest, slug)
    pager = []
    if page > 1:
        previous = f"/section/{slug}" if page == 2 else f"/section/{slug}?page={page - 1}"
        pager.append(f'<a rel="prev" href="{previous}">Previous page</a>')
    if page < pages:
        pager.append(f'<a rel="next" href="/section/{slug}?page={page + 1}">Next page</a>')
    name = text.SECTIONS[slug]
    return _listing(manifest, kind="section", heading=name if page == 1 else f"{name}, page {page}",
                    intro=f"The latest {name.lower()} stories from The Demo Times.", items=items,
                    pager=f' <nav class="pager">{" ".join(pager)}</nav>')


def _planted_links(manifest: DemoManifest, slug: str) -> list[str]:
    """Links a crawler must handle carefully: robots-disallowed, dead, and tracking-tagged."""
    def link(path: str, title: str) -> str:
        return f'  <li class="teaser"><a href="{escape(path)}">{title}</a></li>'
    if slug == "politics":
        return [link(p, "Coming up: embargoed story") for p in manifest.disallowed_paths]
    if slug == "business":
        return [link(p, "Council vote postponed again") for p in manifest.missing_paths]
    return []


def render_tag(manifest: DemoManifest, tag_slug: str) -> bytes | None:
    articles = [a for a in manifest.articles if tag_slug in {text.slugify(t) for t in a.tags}]
    if not articles:
        return None
    name = next(t for t in articles[0].tags if text.slugify(t) == tag_slug)
    return _listing(manifest, kind="tag", heading=f"Stories tagged {name}",
                    intro=f"Everything we have published about {name.lower()}.",
                    items=[_item(a) for a in articles[:20]])


def render_author(manifest: DemoManifest, slug: str) -> bytes | None:
    articles = [a for a in manifest.articles if slug in {author_slug(n) for n in a.authors}]
    if not articles:
        return None
    name = next(n for n in articles[0].authors if author_slug(n) == slug)
    return _listing(manifest, kind="author", heading=name,
                    intro=f"{name} is a correspondent for The Demo Times.",
                    items=[_item(a) for a in articles[:20]])


def render_about(manifest: DemoManifest) -> bytes:
    return layout(manifest, title="About us", main=template("about.html").substitute(),
                  description="About The Demo Times.", body_class="page page--about"
                  ).encode("utf-8")


def render_message(manifest: DemoManifest, heading: str, message: str) -> bytes:
    main = (f'<section class="message"><h1>{escape(heading)}</h1>'
            f"<p>{escape(message)}</p></section>")
    return layout(manifest, title=heading, main=main, body_class="page page--message"
                  ).encode("utf-8")
