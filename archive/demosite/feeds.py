"""The demo site's machine-readable documents: robots.txt, RSS, Atom, JSON Feed, sitemaps."""

from __future__ import annotations

import json
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

from archive.demosite.content import FEED_SLICES, SITE_NAME, DemoArticle, DemoManifest


def render_robots(manifest: DemoManifest, base: str) -> bytes:
    lines = [
        "# The Demo Times: crawl politely.", "User-agent: *", "Disallow: /news/embargoed/",
        "Disallow: /search", "Disallow: /contribute",
        "Disallow: /hostile/private/", "",
        f"Sitemap: {base}{manifest.sitemaps['index']}", "",
    ]
    return "\n".join(lines).encode("ascii")


def _feed_link(manifest: DemoManifest, article: DemoArticle, base: str, feed: str) -> str:
    special = manifest.special
    if feed == "rss" and article.path == special["redirect_to"]:
        return base + special["redirect_from"]      # an old CMS URL that now redirects
    if feed == "atom" and article.path == special["utm_target"]:
        return base + special["utm_link"]
    return base + article.path


def render_rss(manifest: DemoManifest, base: str) -> bytes:
    items = []
    for article in manifest.articles[FEED_SLICES["rss"]]:
        link = _feed_link(manifest, article, base, "rss")
        creators = "".join(f"<dc:creator>{escape(n)}</dc:creator>" for n in article.authors)
        items.append(
            "<item>"
            f"<title>{escape(article.title)}</title><link>{escape(link)}</link>"
            f'<guid isPermaLink="false">demotimes-{article.id}</guid>'
            f"<pubDate>{format_datetime(datetime.fromisoformat(article.published))}</pubDate>"
            f"<category>{escape(article.section)}</category>{creators}"
            f"<description>{escape(article.description)}</description>"
            "</item>")
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        f"<title>{SITE_NAME}</title><link>{base}/</link>"
        f'<atom:link href="{base}{manifest.feeds["rss"]}" rel="self" type="application/rss+xml"/>'
        "<description>Latest news from The Demo Times</description><language>en</language>"
        f"<lastBuildDate>{format_datetime(datetime.fromisoformat(manifest.articles[0].modified))}"
        f"</lastBuildDate>{''.join(items)}</channel></rss>\n")
    return xml.encode("utf-8")


def render_atom(manifest: DemoManifest, base: str) -> bytes:
    entries = []
    articles = manifest.articles[FEED_SLICES["atom"]]
    for article in articles:
        link = _feed_link(manifest, article, base, "atom")
        authors = "".join(f"<author><name>{escape(n)}</name></author>" for n in article.authors)
        entries.append(
            "<entry>"
            f"<title>{escape(article.title)}</title><link rel=\"alternate\" href={quoteattr(link)}/>"
            f"<id>tag:demo-times.invalid,2026:article-{article.id}</id>"
            f"<published>{article.published}</published><updated>{article.modified}</updated>"
            f"{authors}<category term={quoteattr(article.section)}/>"
            f"<summary>{escape(article.description)}</summary>"
            "</entry>")
    updated = max(a.modified for a in articles)
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{SITE_NAME}</title><id>{base}/</id><updated>{updated}</updated>"
        f'<link rel="self" href="{base}{manifest.feeds["atom"]}"/>'
        f'<link rel="alternate" href="{base}/"/>{"".join(entries)}</feed>\n')
    return xml.encode("utf-8")


def render_json_feed(manifest: DemoManifest, base: str) -> bytes:
    items = [{
        "id": f"demotimes-{a.id}", "url": base + a.path, "title": a.title,
        "summary": a.description, "image": base + a.image,
        "date_published": a.published, "date_modified": a.modified,
        "authors": [{"name": n} for n in a.authors], "tags": a.tags, "language": a.language,
    } for a in manifest.articles[FEED_SLICES["json"]]]
    feed = {
        "version": "https://jsonfeed.org/version/1.1", "title": SITE_NAME,
        "home_page_url": f"{base}/", "feed_url": base + manifest.feeds["json"],
        "language": "en", "items": items,
    }
    return json.dumps(feed, indent=1, ensure_ascii=False).encode("utf-8")


def render_sitemap_index(manifest: DemoManifest, base: str) -> bytes:
    lastmod = manifest.articles[0].modified
    entries = "".join(
        f"<sitemap><loc>{base}{manifest.sitemaps[name]}</loc><lastmod>{lastmod}</lastmod></sitemap>"
        for name in ("news", "articles"))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{entries}</sitemapindex>\n").encode()


def render_news_sitemap(manifest: DemoManifest, base: str) -> bytes:
    urls = []
    for a in manifest.articles:
        if not a.in_news_sitemap:
            continue
        urls.append(
            f"<url><loc>{escape(base + a.path)}</loc><news:news><news:publication>"
            f"<news:name>{SITE_NAME}</news:name><news:language>{a.language}</news:language>"
            f"</news:publication><news:publication_date>{a.published}</news:publication_date>"
            f"<news:title>{escape(a.title)}</news:title>"
            f"<news:keywords>{escape(', '.join(a.tags))}</news:keywords></news:news></url>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
            f"{''.join(urls)}</urlset>\n").encode()


def render_articles_sitemap(manifest: DemoManifest, base: str) -> bytes:
    urls = "".join(
        f"<url><loc>{escape(base + a.path)}</loc><lastmod>{a.modified}</lastmod></url>"
        for a in manifest.articles if a.in_articles_sitemap)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{urls}</urlset>\n").encode()
