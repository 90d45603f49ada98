"""The weight of a real news page around the article: mega menu, teaser rails, link farms,
inline scripts and styles. Off by default; the throughput benchmark turns it on, because
extraction cost depends on page weight (real pages: 50-150 KB of HTML, not 9 KB)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import cache
from html import escape

from archive.demosite import text

_WORDS = ["briefing", "live", "analysis", "opinion", "world", "markets", "energy", "climate",
          "health", "travel", "sport", "podcasts", "video", "newsletters", "events", "archive",
          "weather", "education", "property", "jobs"]


@dataclass(frozen=True)
class Furniture:
    head: str = ""
    top: str = ""
    bottom: str = ""


NONE = Furniture()


def _label(rng: random.Random, words: int = 2) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).title()


def _inline_script(rng: random.Random, size: int) -> str:
    config = {f"slot_{i}": {"sizes": [[300, 250], [728, 90]], "targeting": {
        "section": rng.choice(_WORDS), "pos": i, "kw": [rng.choice(_WORDS) for _ in range(6)]}}
        for i in range(size // 160)}
    return f'<script type="application/json" id="ad-config">{json.dumps(config)}</script>'


def _style(rng: random.Random, rules: int) -> str:
    body = "\n".join(f".c-{i}-{rng.choice(_WORDS)}{{margin:{i % 9}px {i % 5}px;"
                     f"color:#{rng.randrange(16**6):06x};"
                     f"font-size:{12 + i % 8}px;display:{rng.choice(['flex', 'block', 'grid'])}}}"
                     for i in range(rules))
    return f"<style>{body}</style>"


def _links(rng: random.Random, count: int, prefix: str) -> str:
    return "\n".join(f'<li><a href="/{prefix}/{rng.choice(_WORDS)}-{i}">{_label(rng)}</a></li>'
                     for i in range(count))


@cache
def full(seed: int, teasers: tuple[tuple[str, str], ...]) -> Furniture:
    """Deterministic furniture; `teasers` are (path, title) of articles to promote in rails."""
    rng = random.Random(seed)
    head = "\n".join([_style(rng, 160), _inline_script(rng, 9000),
                      "<script>" + ";".join(f"window.f{i}=function(a){{return a*{i}}}" for i in range(300))
                      + "</script>"])
    menu = "\n".join(
        f'<li class="mega__col"><a href="/section/{slug}">{name}</a><ul>{_links(rng, 12, slug)}</ul></li>'
        for slug, name in list(text.SECTIONS.items()) * 3)
    ticker = "".join(f'<li><a href="{p}">{escape(t)}</a></li>' for p, t in teasers[:10])
    top = (f'<div class="cookie-consent" role="dialog"><p>We use cookies to improve your experience '
           f'and to measure our audience.</p><button>Accept all</button><button>Settings</button></div>\n'
           f'<nav class="mega" aria-label="All sections"><ul>{menu}</ul></nav>\n'
           f'<div class="ticker"><span>Breaking</span><ul>{ticker}</ul></div>')
    rail = "\n".join(
        f'<li class="teaser"><a href="{p}"><img src="/static/thumb-{i}.jpg" alt="">'
        f'<span class="teaser__kicker">{_label(rng, 1)}</span><span>{escape(t)}</span></a></li>'
        for i, (p, t) in enumerate(teasers))
    bottom = (f'<aside class="most-read"><h2>Most read</h2><ol>{rail}</ol></aside>\n'
              f'<section class="more"><h2>More from The Demo Times</h2><ul>{rail}</ul></section>\n'
              f'<div class="footer-farm"><ul>{_links(rng, 120, "info")}</ul></div>\n'
              '<div class="apps"><a href="/apps/ios">Download on the App Store</a>'
              '<a href="/apps/android">Get it on Google Play</a></div>\n'
              + _inline_script(rng, 6000))
    return Furniture(head=head, top=top, bottom=bottom)
