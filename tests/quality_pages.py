"""Writes the extraction quality-gate pages (tests/data/quality/): stories in four languages, laid out
the ways real sites lay them out, with the furniture real sites put around and inside them.

Run `python -m tests.quality_pages` to regenerate the pages and tests/data/quality/expected.json.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from pathlib import Path

OUT = Path(__file__).parent / "data" / "quality"


@dataclass(frozen=True)
class Story:
    lang: str
    slug: str
    title: str
    standfirst: str
    authors: tuple[str, ...]
    published: str  # ISO 8601, as the page states it
    shown_date: str  # as printed beside the headline
    paragraphs: tuple[str, ...]
    subheading: str  # printed between paragraphs 2 and 3
    steps: tuple[str, ...]  # an ordered list after the subheading


@dataclass(frozen=True)
class Furniture:
    newsletter: tuple[str, str]
    donation: str
    read_more: str
    related: tuple[str, str, str]
    comments: tuple[str, str, str]
    affiliate: str
    author_bio: str
    copyright: str
    credit: str
    advertisement: str
    share: str
    inline_link: str  # "Read more: <a>...</a>" inside the body


STORIES = {
    "en": Story(
        "en", "ferry-timetable", "Island Ferry Adds Night Crossings After Summer Crowds",
        "The operator will run two extra sailings each evening from June.",
        ("Hannah Wells", "Omar Siddiqui"), "2024-05-14T08:30:00+01:00", "May 14, 2024",
        (
            "The island's ferry operator will add two late-evening crossings from June, after a "
            "summer in which queues at the harbour stretched for hours and hundreds of travellers "
            "missed the last boat home.",
            "Company figures show passenger numbers rose by almost a fifth last year, while the "
            "timetable had not changed since the new terminal opened a decade ago.",
            "Local businesses welcomed the decision. The owner of a café near the pier said her "
            "evening trade had collapsed because visitors left early to be sure of a seat.",
            "The extra sailings will be staffed by crews moved from the winter freight service, "
            "which carries fewer lorries in the summer months, the operator said.",
            "Councillors want the company to publish weekly figures so that residents can judge "
            "whether the new crossings are enough before the August peak.",
        ),
        "What changes for passengers",
        (
            "Book the late sailings online at least a day ahead.",
            "Arrive at the terminal thirty minutes before departure.",
            "Keep the booking code ready for the ticket check on board.",
        ),
    ),
    "de": Story(
        "de", "radweg-bruecke", "Neue Radbrücke über den Fluss soll im Herbst öffnen",
        "Die Stadt rechnet mit bis zu achttausend Radfahrern am Tag.",
        ("Katrin Vogel",), "2024-03-02T10:15:00+01:00", "2. März 2024",
        (
            "Die neue Brücke für Radfahrer und Fußgänger soll nach Angaben der Stadtverwaltung "
            "im Oktober eröffnet werden, fast ein Jahr später als ursprünglich geplant.",
            "Grund für die Verzögerung seien Lieferprobleme bei den Stahlträgern gewesen, sagte "
            "die Baudezernentin am Mittwoch im Verkehrsausschuss des Stadtrats.",
            "Die Kosten steigen dadurch um rund zwei Millionen Euro. Ein Teil davon soll aus "
            "einem Förderprogramm des Landes für den Radverkehr bezahlt werden.",
            "Anwohner auf beiden Seiten des Flusses hoffen, dass die Brücke den Verkehr auf der "
            "alten Straßenbrücke entlastet, auf der sich morgens lange Staus bilden.",
            "Der Radfahrerverband lobte das Projekt, forderte aber bessere Anschlüsse an das "
            "bestehende Radwegenetz in der Innenstadt.",
        ),
        "Was sich für Pendler ändert",
        (
            "Die Rampen auf beiden Ufern werden zuerst freigegeben.",
            "Die Beleuchtung wird in der Nacht gedimmt.",
            "Im Winter räumt der Bauhof die Brücke vor sechs Uhr.",
        ),
    ),
    "fr": Story(
        "fr", "marche-couvert", "Le marché couvert rouvre ses portes après deux ans de travaux",
        "Une trentaine de commerçants reprennent leurs étals dès samedi.",
        ("Claire Moreau",), "2024-09-21T07:00:00+02:00", "21 septembre 2024",
        (
            "Après deux années de travaux, le marché couvert du centre-ville rouvre samedi avec "
            "une trentaine de commerçants, dont plusieurs nouveaux producteurs de la région.",
            "La rénovation a permis de refaire entièrement la toiture, d'installer un système de "
            "ventilation moderne et de rendre le bâtiment accessible aux personnes handicapées.",
            "Le chantier a coûté près de six millions d'euros, financés en grande partie par la "
            "commune avec l'aide du département et de la région.",
            "Les commerçants installés pendant les travaux sous des tentes sur la place voisine "
            "se disent soulagés de retrouver un lieu abrité avant l'hiver.",
            "La mairie prévoit d'ouvrir le marché le dimanche matin à partir du printemps si la "
            "fréquentation le permet.",
        ),
        "Ce qui change pour les clients",
        (
            "Les horaires sont élargis le vendredi soir.",
            "Un parking à vélos est installé devant l'entrée nord.",
            "Les paiements par carte sont acceptés partout.",
        ),
    ),
    "es": Story(
        "es", "biblioteca-barrio", "La biblioteca del barrio amplía su horario durante los exámenes",
        "Las salas de estudio abrirán hasta la medianoche durante seis semanas.",
        ("Lucía Romero", "Diego Navarro"), "2024-01-08T09:45:00+01:00", "8 de enero de 2024",
        (
            "La biblioteca municipal del barrio ampliará su horario hasta la medianoche durante "
            "el periodo de exámenes, después de que los estudiantes reunieran más de mil firmas.",
            "El ayuntamiento contratará a cuatro auxiliares adicionales para cubrir los turnos "
            "de noche, con un coste aproximado de cuarenta mil euros.",
            "Los vecinos mayores pidieron que se mantenga una sala silenciosa por la mañana para "
            "quienes acuden a leer la prensa y consultar los ordenadores.",
            "La directora de la biblioteca explicó que la medida se evaluará al final del curso "
            "y podría repetirse en los exámenes de junio.",
            "Las asociaciones de estudiantes celebraron la decisión, aunque reclaman más enchufes "
            "y una conexión a internet más rápida en las salas.",
        ),
        "Qué cambia para los usuarios",
        (
            "Se necesita el carné para entrar después de las diez.",
            "Las mochilas grandes se dejan en las taquillas.",
            "La cafetería cierra a las nueve de la noche.",
        ),
    ),
}

FURNITURE = {
    "en": Furniture(
        ("Get our morning newsletter", "The day's local stories in your inbox before breakfast."),
        "Please consider making a donation today: our reporting is free for everyone.",
        "Read more",
        ("Harbour car park to close for repairs", "School term dates announced",
         "New bus route links the two villages"),
        ("Comments", "Finally! The last boat was always full.", "They should run boats every hour."),
        "This article contains affiliate links; we may earn a commission on purchases.",
        "Hannah Wells covers transport and the coast for the Island Courier.",
        "© 2024 Island Courier. All rights reserved.",
        "Photo: Peter Lane / Island Courier",
        "Advertisement",
        "Share this article",
        "Read more: Harbour car park to close for repairs",
    ),
    "de": Furniture(
        ("Newsletter abonnieren", "Die wichtigsten Nachrichten aus der Stadt jeden Morgen."),
        "Unterstützen Sie unseren unabhängigen Journalismus mit einer Spende.",
        "Mehr zum Thema",
        ("Sperrung der Hauptstraße verlängert", "Neuer Spielplatz im Stadtpark",
         "Busse fahren am Wochenende häufiger"),
        ("Kommentare", "Endlich! Darauf warten wir seit Jahren.", "Viel zu teuer für eine Brücke."),
        "Dieser Artikel enthält Affiliate-Links: Für Käufe erhalten wir eine Provision.",
        "Katrin Vogel berichtet für das Stadtblatt über Verkehr und Stadtentwicklung.",
        "© 2024 Stadtblatt. Alle Rechte vorbehalten.",
        "Foto: Jens Ahrens / Stadtblatt",
        "Anzeige",
        "Artikel teilen",
        "Lesen Sie auch: Sperrung der Hauptstraße verlängert",
    ),
    "fr": Furniture(
        ("Inscrivez-vous à notre lettre d'information", "L'essentiel de l'actualité locale chaque matin."),
        "Soutenez notre journalisme indépendant : faites un don dès aujourd'hui.",
        "À lire aussi",
        ("La rue principale fermée pour travaux", "Un nouveau parc pour les enfants",
         "Les bus circuleront plus souvent le week-end"),
        ("Commentaires", "Enfin ! Nous attendions cela depuis longtemps.", "Trop cher pour un marché."),
        "Cet article contient des liens affiliés : nous touchons une commission sur les achats.",
        "Claire Moreau suit la vie locale et l'économie pour La Gazette.",
        "© 2024 La Gazette. Tous droits réservés.",
        "Photo : Marc Petit / La Gazette",
        "Publicité",
        "Partager cet article",
        "Lire aussi : La rue principale fermée pour travaux",
    ),
    "es": Furniture(
        ("Suscríbete a nuestro boletín", "Las noticias del barrio cada mañana en tu correo."),
        "Apoya nuestro periodismo independiente con una donación.",
        "Lee también",
        ("Cortes de tráfico en la avenida principal", "Nuevo parque infantil en la plaza",
         "Más autobuses los fines de semana"),
        ("Comentarios", "¡Por fin! Lo pedíamos desde hace años.", "Deberían abrir también los domingos."),
        "Este artículo contiene enlaces de afiliados: recibimos una comisión por las compras.",
        "Lucía Romero escribe sobre educación y cultura para El Vecino.",
        "© 2024 El Vecino. Todos los derechos reservados.",
        "Foto: Ana Gil / El Vecino",
        "Publicidad",
        "Compartir este artículo",
        "Lee también: Cortes de tráfico en la avenida principal",
    ),
}

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
