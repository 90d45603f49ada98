"""The demo site's articles and the manifest that is the ground truth for crawl tests."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from archive.demosite import text

SITE_NAME = "The Demo Times"
# Published times are shown in the newsroom's own zone, as most news sites do.
SITE_TZ = timezone(timedelta(hours=3))
PER_PAGE = 10
# Newest-first slices of the articles each feed carries: each covers only part of the site.
FEED_SLICES = {"rss": slice(0, 20), "atom": slice(5, 30), "json": slice(0, 15)}
MIN_ARTICLES = 16

AUTHORS = [
    "Anna Keller", "Tom Okafor", "Maria Lindqvist", "David Brenner", "Sofia Marin",
    "James Whitlock", "Elena Petrova", "Ravi Menon", "Claire Dubois", "Lukas Brandt",
    "Nadia Haddad", "Peter Olsen",
]
PHOTO_CREDITS = [
    "Photo: Lena Marsh / Demo Press Agency", "Photo: Jonas Eberle / Northbridge Images",
    "Photo: Ana Ruiz / Valmora Photo Service", "Photo: Kai Strand / Wire Pictures",
    "Photo: Mira Solberg / Demo Press Agency",
]
CAPTIONS = [
    "Delegates arrive for the opening session in the conference hall.",
    "A view of the harbour district at dusk.",
    "Visitors queue outside the main entrance on the first morning.",
    "Workers prepare the stage ahead of the official ceremony.",
    "Members of the committee pose for photographers after the vote.",
    "The old town square seen from the cathedral tower.",
]
COMMENTS = [
    "Great reporting, thank you for covering this so thoroughly.",
    "I live nearby and nobody here was ever consulted about any of it.",
    "Would love to see a follow-up piece in a few months.",
    "The numbers in the third paragraph seem optimistic to me.",
    "Finally someone is asking the right questions.",
    "This is exactly why I pay for my subscription.",
]
BOILERPLATE: dict[str, str] = {
    "support_banner": "Independent journalism needs readers like you. Become a member today.",
    "newsletter_heading": "Get The Demo Times Daily Briefing",
    "newsletter_text": "Our editors pick the five stories you need each morning, delivered to "
    "your inbox before breakfast. No spam, unsubscribe at any time.",
    "donation_banner": "Support The Demo Times!",
    "donation_heading": "A Message from The Demo Times",
    "donation_text": "For twelve years our small newsroom has reported without a paywall. "
    "A contribution of any size keeps our reporters in the field and our archive open to all.",
    "donation_periods": "Once Monthly Annual",
    "donation_later": "Remind me later",
    "read_more": "Read more",
    "advertisement": "Advertisement",
    "comments_heading": "Reader comments",
    **{f"caption_{i}": c for i, c in enumerate(CAPTIONS)},
    **{f"credit_{i}": c for i, c in enumerate(PHOTO_CREDITS)},
    **{f"comment_{i}": c for i, c in enumerate(COMMENTS)},
}


def author_slug(name: str) -> str:
    return text.slugify(name)


@dataclass
class DemoArticle:
    """One article as served, and what a correct extractor returns for it."""

    id: int
    path: str                 # canonical URL path
    title: str                # headline as shown in the h1
    authors: list[str]
    published: str            # ISO 8601 with offset
    modified: str
    section: str              # section name as shown, e.g. "Politics"
    tags: list[str]           # tag names as shown
    paragraphs: list[str]     # body text in order, subheading and quote included
    has_comments: bool
    charset: str
    in_news_sitemap: bool
    in_feeds: bool
    description: str = ""
    language: str = "en"
    image: str = ""
    caption: str = ""
    photo_credit: str = ""
    subheading_index: int = 2
    quote_index: int = 4
    related_paths: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    in_articles_sitemap: bool = True
    in_sections: bool = True
    section_slug: str = ""    # e.g. "politics", as in /section/politics

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    @property
    def published_at(self) -> datetime:
        return datetime.fromisoformat(self.published)


@dataclass
class DemoManifest:
    """Ground truth about the site: what a crawl should find and what it must not."""

    articles: list[DemoArticle]
    non_article_paths: list[str]
    disallowed_paths: list[str]
    boilerplate: dict[str, str]
    special: dict[str, str]
    feeds: dict[str, str]
    sitemaps: dict[str, str]
    missing_paths: list[str] = field(default_factory=list)   # linked, but answer 404
    furniture: str = "light"   # "full": the weight of a real news page (see furniture.py)
    seed: int = 1

    def __post_init__(self) -> None:
        self._by_path = {a.path: a for a in self.articles}

    def article(self, path: str) -> DemoArticle:
        return self._by_path[path]

    def section_articles(self, section: str) -> list[DemoArticle]:
        return [a for a in self.articles if a.section_slug == section and a.in_sections]


# Positions (in newest-first order) of the articles that get awkward responses; all are
# recent so that they show up in the feeds a default crawl reads.
SPECIAL_INDEX = {"gzip": 1, "chunked": 2, "cp1251": 3, "flaky": 4, "cookies": 5,
                 "redirect_to": 6, "utm_target": 7}


def _publication_times(rng: random.Random, n: int, now: datetime) -> list[datetime]:
    """Newest first: n-2 spread over the last ~20 days, two more older than 60 days."""
    span = timedelta(days=20).total_seconds()
    offsets = sorted(rng.uniform(0.0, 1.0) for _ in range(n - 2))
    times = [now - timedelta(minutes=25) - timedelta(seconds=int(o * span)) for o in offsets]
    times += [now - timedelta(days=75, hours=3), now - timedelta(days=93, hours=7)]
    return [t.astimezone(SITE_TZ).replace(second=0, microsecond=0) for t in times]


def _article_path(when: datetime, slug: str, prefix: str = "/news") -> str:
    return f"{prefix}/{when:%Y/%m/%d}/{slug}"


def build_manifest(n_articles: int, now: datetime, seed: int) -> DemoManifest:
    if n_articles < MIN_ARTICLES:
        raise ValueError(f"the demo site needs at least {MIN_ARTICLES} articles, got {n_articles}")
    rng = random.Random(seed)
    now = now.astimezone(UTC)
    news_cutoff = now - timedelta(days=2)
    times = _publication_times(rng, n_articles, now)
    sections = list(text.SECTIONS)
    articles: list[DemoArticle] = []
    for i, published in enumerate(times):
        article_id = 10_000 + n_articles - i     # ids grow with time, like a CMS sequence
        section = sections[rng.randrange(len(sections))]
        if i == SPECIAL_INDEX["cp1251"]:
            section = "culture"
        gen = text.TextGenerator(random.Random(f"{seed}:{article_id}"), section)
        title, description = gen.title(), gen.description()
        paragraphs, sub_i, quote_i = gen.body()
        language, charset = "en", "utf-8"
        if i == SPECIAL_INDEX["cp1251"]:
            title, description = text.RUSSIAN_TITLE, text.RUSSIAN_DESCRIPTION
            paragraphs = list(text.RUSSIAN_PARAGRAPHS)
            sub_i, quote_i = text.RUSSIAN_SUBHEADING_INDEX, text.RUSSIAN_QUOTE_INDEX
            language, charset = "ru", "windows-1251"
            slug = f"{text.RUSSIAN_SLUG}-a{article_id}"
            authors = ["Elena Petrova"]
        else:
            slug = f"{text.slugify(title)}-a{article_id}"
            authors = gen.rng.sample(AUTHORS, 2 if i % 4 == 1 else 1)
        modified = published + timedelta(minutes=gen.rng.choice([0, 0, 12, 47, 180]))
        modified = min(modified, now.astimezone(SITE_TZ).replace(second=0, microsecond=0))
        modified = max(modified, published)
        old = published < now - timedelta(days=60)
        has_comments = i % 3 == 0
        articles.append(DemoArticle(
            id=article_id, path=_article_path(published, slug), title=title, authors=authors,
            published=published.isoformat(), modified=modified.isoformat(),
            section=text.SECTIONS[section], section_slug=section,
            tags=gen.rng.sample(text.VOCABULARY[section].tags, gen.rng.randint(2, 3)),
            paragraphs=paragraphs, has_comments=has_comments, charset=charset,
            in_news_sitemap=published >= news_cutoff, in_feeds=i < 30,
            description=description, language=language,
            image=f"/static/images/{article_id}.png",
            caption=CAPTIONS[article_id % len(CAPTIONS)],
            photo_credit=PHOTO_CREDITS[article_id % len(PHOTO_CREDITS)],
            subheading_index=sub_i, quote_index=quote_i,
            comments=gen.rng.sample(COMMENTS, 3) if has_comments else [],
            # Each discovery source sees only part of the site: sitemaps skip every fifth
            # recent article, section pages skip the archive-old ones.
            in_articles_sitemap=old or i % 5 != 3, in_sections=not old,
        ))
    by_section: dict[str, list[DemoArticle]] = {}
    for article in articles:
        by_section.setdefault(article.section_slug, []).append(article)
    for group in by_section.values():
        # Related links point at the next stories of the same section, as a CMS would pick.
        for k, article in enumerate(group):
            others = group[k + 1:k + 4] + group[:max(0, k + 4 - len(group))]
            article.related_paths = [a.path for a in others if a is not article][:3]
    return _with_site_paths(articles, rng, now)


def _with_site_paths(articles: list[DemoArticle], rng: random.Random, now: datetime) -> DemoManifest:
    pages = ["/", "/about"]
    for section in text.SECTIONS:
        pages.append(f"/section/{section}")
        count = sum(1 for a in articles if a.section_slug == section and a.in_sections)
        pages += [f"/section/{section}?page={p}" for p in range(2, -(-count // PER_PAGE) + 1)]
    tags = sorted({t for a in articles for t in a.tags})
    pages += [f"/tag/{text.slugify(t)}" for t in tags]
    authors = sorted({name for a in articles for name in a.authors})
    pages += [f"/author/{author_slug(name)}" for name in authors]
    recent = datetime.fromisoformat(articles[0].published)
    embargoed = [
        _article_path(recent + timedelta(days=1), "cabinet-reshuffle-list-leaked-a90001",
                      "/news/embargoed"),
        _article_path(recent + timedelta(days=2), "central-bank-rate-decision-a90002",
                      "/news/embargoed"),
    ]
    missing = [_article_path(datetime.fromisoformat(articles[8].published),
                             "council-vote-postponed-again-a9999")]
    sp = {k: articles[i].path for k, i in SPECIAL_INDEX.items()}
    sp["redirect_from"] = f"/old/{articles[SPECIAL_INDEX['redirect_to']].id}"
    sp["not_found"] = missing[0]
    sp["utm_link"] = (f"{sp['utm_target']}?utm_source=atom&utm_medium=feed"
                      "&utm_campaign=demo")
    sp["embargoed"] = embargoed[0]
    return DemoManifest(
        articles=articles, non_article_paths=pages, disallowed_paths=embargoed,
        boilerplate=dict(BOILERPLATE, copyright=f"(c) {now.year} The Demo Times"),
        special=sp,
        feeds={"rss": "/feeds/rss.xml", "atom": "/feeds/atom.xml", "json": "/feeds/feed.json"},
        sitemaps={"index": "/sitemap.xml", "news": "/sitemaps/news.xml",
                  "articles": "/sitemaps/articles.xml"},
        missing_paths=missing,
    )
