"""Writes the extraction quality-gate pages (tests/data/quality/): stories in four languages, laid out
the ways real sites lay them out, with the furniture real sites put around and inside them.

Run `python -m tests.quality_pages` to regenerate the pages and tests/data/quality/expected.json.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from tests.quality_stories import FURNITURE, STORIES, Furniture, Story

OUT = Path(__file__).parent / "data" / "quality"


BY = {"en": ("By", "and"), "de": ("Von", "und"), "fr": ("Par", "et"), "es": ("Por", "y")}
SITES = {"en": "Island Courier", "de": "Stadtblatt", "fr": "La Gazette", "es": "El Vecino"}


def _e(text: str) -> str:
    return escape(text, quote=True)


def byline(story: Story) -> str:
    prefix, conjunction = BY[story.lang]
    return f"{prefix} " + f" {conjunction} ".join(story.authors)


def body_html(story: Story, *, p: str = "p", between: str = "", after_first: str = "") -> str:
    """The story's body; `between` goes after paragraph 2, `after_first` after paragraph 1."""
    parts = []
    for i, paragraph in enumerate(story.paragraphs):
        parts.append(f"<{p}>{_e(paragraph)}</{p}>")
        if i == 0 and after_first:
            parts.append(after_first)
        if i == 1:
            if between:
                parts.append(between)
            parts.append(f"<h2>{_e(story.subheading)}</h2>")
            parts.append("<ol>" + "".join(f"<li>{_e(s)}</li>" for s in story.steps) + "</ol>")
    return "\n".join(parts)


def json_ld(story: Story, url: str) -> str:
    data = {
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": story.title,
        "datePublished": story.published, "inLanguage": story.lang, "mainEntityOfPage": url,
        "author": [{"@type": "Person", "name": n} for n in story.authors],
        "publisher": {"@type": "Organization", "name": SITES[story.lang]},
    }
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def head(story: Story, *, title_suffix: bool = True, meta: bool = True, ld: str = "") -> str:
    site = SITES[story.lang]
    title = f"{story.title} | {site}" if title_suffix else story.title
    tags = [f'<meta charset="utf-8"><title>{_e(title)}</title>']
    if meta:
        tags += [
            f'<meta name="description" content="{_e(story.standfirst)}">',
            '<meta property="og:type" content="article">',
            f'<meta property="og:site_name" content="{_e(site)}">',
            f'<meta property="article:published_time" content="{story.published}">',
        ]
    return "\n".join(tags) + ld


def newsroom(story: Story, f: Furniture, url: str) -> str:
    related = "".join(f'<li><a href="/r/{i}">{_e(t)}</a></li>' for i, t in enumerate(f.related))
    comments = "".join(f'<div class="comment"><p>{_e(c)}</p></div>' for c in f.comments[1:])
    return f"""<!DOCTYPE html><html lang="{story.lang}"><head>{head(story, ld=json_ld(story, url))}
</head><body>
<header class="site-header"><a class="logo" href="/">{_e(SITES[story.lang])}</a>
<nav><a href="/politik">Politics</a> <a href="/sport">Sport</a></nav></header>
<div class="support-banner">{_e(f.donation)}</div>
<main><article class="story">
<header><h1>{_e(story.title)}</h1><p class="standfirst">{_e(story.standfirst)}</p>
<p class="byline">{_e(byline(story))} · <time datetime="{story.published}">{_e(story.shown_date)}</time></p>
</header>
<figure><img src="/i.jpg" alt=""><figcaption><span class="credit">{_e(f.credit)}</span></figcaption></figure>
<div class="article-body">
{body_html(story, between=f'<aside class="newsletter-box"><h3>{_e(f.newsletter[0])}</h3>'
           f'<p>{_e(f.newsletter[1])}</p><form><input type="email"></form></aside>',
           after_first=f'<div class="ad-slot"><span>{_e(f.advertisement)}</span></div>')}
</div>
<div class="donation-appeal"><p>{_e(f.donation)}</p></div>
<section class="related"><h3>{_e(f.read_more)}</h3><ul>{related}</ul></section>
</article>
<section id="comments"><h2>{_e(f.comments[0])}</h2>{comments}</section></main>
<footer><p>{_e(f.copyright)}</p></footer></body></html>"""


def wordpress(story: Story, f: Furniture, url: str) -> str:
    recent = "".join(f'<li><a href="/r/{i}">{_e(t)}</a></li>' for i, t in enumerate(f.related))
    comments = "".join(f'<li class="comment"><div class="comment-body"><p>{_e(c)}</p></div></li>'
                       for c in f.comments[1:])
    label, _, link = f.inline_link.partition(": ")
    return f"""<!DOCTYPE html><html lang="{story.lang}"><head>{head(story)}
<meta name="author" content="{_e(", ".join(story.authors))}"></head>
<body class="post-template-default single single-post">
<div id="page" class="site"><div id="content" class="site-content">
<div id="primary" class="content-area"><main id="main" class="site-main">
<article class="post type-post status-publish hentry">
<header class="entry-header"><h1 class="entry-title">{_e(story.title)}</h1>
<div class="entry-meta"><span class="posted-on"><time class="entry-date published"
datetime="{story.published}">{_e(story.shown_date)}</time></span></div></header>
<div class="entry-content">
<p class="disclosure"><em>{_e(f.affiliate)}</em></p>
{body_html(story, after_first=f'<p><strong>{_e(label)}:</strong> <a href="/r/0">{_e(link)}</a></p>')}
<div class="sharedaddy"><h3>{_e(f.share)}</h3><a href="#">Facebook</a> <a href="#">X</a></div>
</div>
<div class="author-bio"><p>{_e(f.author_bio)}</p></div>
</article>
<div id="comments" class="comments-area"><h2 class="comments-title">{_e(f.comments[0])}</h2>
<ol class="comment-list">{comments}</ol></div>
</main></div>
<aside id="secondary" class="widget-area"><section class="widget"><h2>{_e(f.read_more)}</h2>
<ul>{recent}</ul></section></aside></div>
<footer class="site-footer"><p>{_e(f.copyright)}</p></footer></div></body></html>"""


def minimal(story: Story, f: Furniture, url: str) -> str:
    return f"""<!DOCTYPE html><html lang="{story.lang}"><head>{head(story, meta=False)}</head>
<body><main><h1>{_e(story.title)}</h1>
<p>{_e(story.shown_date)} — {_e(byline(story))}</p>
{body_html(story)}
</main>
<footer><p>{_e(f.share)}: <a href="#">Mastodon</a> <a href="#">E-mail</a></p>
<p>{_e(f.copyright)}</p></footer></body></html>"""


def split(story: Story, f: Furniture, url: str) -> str:
    paragraphs = [f"<p>{_e(p)}</p>" for p in story.paragraphs]
    middle = (f"<h2>{_e(story.subheading)}</h2><ol>"
              + "".join(f"<li>{_e(s)}</li>" for s in story.steps) + "</ol>")
    ad = f'<div class="ad-container"><div class="ad-label">{_e(f.advertisement)}</div></div>'
    return f"""<!DOCTYPE html><html lang="{story.lang}"><head>{head(story, ld=json_ld(story, url))}
</head><body><div class="layout"><div class="col-main">
<h1 class="headline">{_e(story.title)}</h1>
<div class="meta">{_e(byline(story))} <time datetime="{story.published}">{_e(story.shown_date)}</time></div>
<div class="text-block text-block--lead">{"".join(paragraphs[:2])}</div>
{ad}
<div class="text-block">{middle}{paragraphs[2]}</div>
<div class="newsletter-signup"><p>{_e(f.newsletter[0])}</p><p>{_e(f.newsletter[1])}</p></div>
<div class="text-block">{"".join(paragraphs[3:])}</div>
{ad}
</div><div class="col-side"><h3>{_e(f.read_more)}</h3>
{"".join(f'<div class="card"><a href="/r/{i}">{_e(t)}</a></div>' for i, t in enumerate(f.related))}
</div></div><footer>{_e(f.copyright)}</footer></body></html>"""


def divs(story: Story, f: Furniture, url: str) -> str:
    cards = "".join(
        f'<div class="css-9k2x"><a class="css-1qa" href="/r/{i}"><div class="css-h3">{_e(t)}</div>'
        f"</a></div>" for i, t in enumerate(f.related))
    return f"""<!DOCTYPE html><html lang="{story.lang}"><head>{head(story)}</head><body>
<div id="__next"><div class="css-0"><div class="css-hdr"><a href="/">{_e(SITES[story.lang])}</a></div>
<div class="css-7ab"><h1 class="css-t1">{_e(story.title)}</h1>
<div class="css-by"><span>{_e(byline(story))}</span><span class="css-dt">{_e(story.shown_date)}</span></div>
<div class="css-body">
{body_html(story, between=f'<div class="css-nl"><div>{_e(f.newsletter[0])}</div>'
           f'<div>{_e(f.newsletter[1])}</div></div>')}
</div></div>
<div class="css-rel"><div class="css-relh">{_e(f.read_more)}</div>{cards}</div>
<div class="css-ft">{_e(f.copyright)}</div></div></div></body></html>"""


def magazine(story: Story, f: Furniture, url: str) -> str:
    most_read = "".join(f'<li><a href="/r/{i}">{_e(t)}</a></li>' for i, t in enumerate(f.related))
    return f"""<!DOCTYPE html><html lang="{story.lang}"><head>{head(story, ld=json_ld(story, url))}
</head><body><header class="masthead"><div class="brand">{_e(SITES[story.lang])}</div></header>
<div class="hero"><h1>{_e(story.title)}</h1><p class="dek">{_e(story.standfirst)}</p></div>
<div class="wrap"><article><section class="content">
<p class="byline"><span class="author">{_e(byline(story))}</span></p>
{body_html(story)}
<blockquote class="pullquote">{_e(f.donation)}</blockquote>
</section>
<section class="tags"><a href="/t/1">{_e(f.related[0])}</a></section></article>
<aside class="most-read"><h2>{_e(f.read_more)}</h2><ol>{most_read}</ol></aside></div>
<div id="disqus_thread"><p>{_e(f.comments[1])}</p><p>{_e(f.comments[2])}</p></div>
<footer><small>{_e(f.copyright)}</small></footer></body></html>"""


def double_encoded(page: str) -> bytes:
    """The page's UTF-8 bytes read as Windows-1252 and saved as UTF-8 again (a common CMS bug)."""
    chars = []
    for byte in page.encode("utf-8"):
        try:
            chars.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            chars.append(chr(byte))
    return "".join(chars).encode("utf-8")


LAYOUTS = {
    "newsroom": newsroom, "wordpress": wordpress, "minimal": minimal, "split": split,
    "divs": divs, "magazine": magazine,
}


def expected_text(story: Story) -> str:
    lines = list(story.paragraphs[:2]) + [story.subheading]
    lines += [f"{n}. {s}" for n, s in enumerate(story.steps, 1)] + list(story.paragraphs[2:])
    return "\n".join(lines)


def must_not(story: Story, f: Furniture, layout: str) -> list[str]:
    snippets = [
        f.newsletter[0], f.newsletter[1], f.donation, f.affiliate, f.author_bio, f.copyright,
        f.credit, f.share, *f.comments[1:], *f.related, story.title,
    ]
    if layout not in ("minimal", "divs"):
        snippets.append(story.standfirst)
    return snippets


def build() -> dict[str, dict[str, object]]:
    OUT.mkdir(parents=True, exist_ok=True)
    expected: dict[str, dict[str, object]] = {}
    for lang, story in STORIES.items():
        for layout, render in [*LAYOUTS.items(), ("double-encoded", newsroom)]:
            name = f"{lang}-{layout}"
            url = f"https://{SITES[lang].lower().replace(' ', '-')}.example/2024/{story.slug}"
            page = render(story, FURNITURE[lang], url)
            body = double_encoded(page) if layout == "double-encoded" else page.encode("utf-8")
            (OUT / f"{name}.html").write_bytes(body)
            metadata_rich = layout not in ("minimal", "divs")
            expected[name] = {
                "url": url,
                "text": expected_text(story),
                "without": must_not(story, FURNITURE[lang], layout),
                "title": story.title,
                "authors": list(story.authors),
                "published_day": story.published[:10],
                "published": story.published if metadata_rich else None,
            }
    (OUT / "expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return expected


if __name__ == "__main__":
    print(f"wrote {len(build())} pages to {OUT}")
