"""Read side of the index: ranked full-text search with highlighted snippets."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from archive.urls import canonical_url, has_markers

# More rows than anyone reads in a terminal, and within what SQLite can bind.
MAX_LIMIT = 100_000
# More words than a person searches for (Google reads 32). FTS5 ranks each term on its own,
# at a cost that grows faster than their number: "Harbour hArbour ..." are as many terms but
# one word to the index (case and accents fold), and 2,000 of them took 24 s on 3,000 articles.
MAX_TERMS = 32
SEARCH_SQL = """
select
  articles.canonical_url, articles.url, articles.site, articles.title, articles.published,
  articles.fetched_at, articles.warc_file, articles.warc_offset, articles.warc_record_id,
  articles_fts.rank as rank,
  snippet(articles_fts, 2, :open, :close, '…', :tokens) as snippet
from articles_fts
join articles on articles.rowid = articles_fts.rowid
where articles_fts match :query {site_filter}
order by rank
limit :limit
"""

# A phrase in double quotes, or a run of non-space characters.
_TOKENS = re.compile(r'"([^"]*)"|([^\s"]+)')


class SearchQueryError(ValueError):
    """A search the FTS engine cannot run; the message is meant for the person who typed it."""


@dataclass(frozen=True)
class SearchHit:
    """One ranked article; `rank` is FTS5 bm25: lower is better."""

    rank: float
    canonical_url: str
    url: str
    site: str
    title: str | None
    published: str | None
    fetched_at: str
    snippet: str
    warc_file: str | None
    warc_offset: int | None
    warc_record_id: str | None


def fts_query(text: str) -> str:
    """Turn what a person typed into a safe FTS5 query: every word must appear, "quoted
    phrases" stay phrases, a word ending in * stands for the words beginning so (econom*),
    and FTS syntax characters (- : ^ ( ) AND OR NOT) lose their meaning instead of raising a
    syntax error. An unclosed quote is closed."""
    text = text.replace("\x00", " ")  # SQLite would end the string there: "unterminated string"
    if text.count('"') % 2:
        text += '"'
    parts = []
    for phrase, word in _TOKENS.findall(text):
        term = (phrase or word.rstrip("*")).strip()
        # A prefix of no word at all ("-*") would match every article.
        prefix = word.endswith("*") and any(c.isalnum() for c in term)
        if term:
            parts.append('"' + term.replace('"', '""') + '"' + ("*" if prefix else ""))
    if not parts:
        raise SearchQueryError("empty search: type at least one word")
    # Each term once: FTS5 ranks every repeat on its own, and one word typed 8,000 times
    # took seconds a query (a repeat asks nothing more: every term must appear anyway).
    terms = list(dict.fromkeys(parts))
    if len(terms) > MAX_TERMS:
        raise SearchQueryError(f"too many words: search for at most {MAX_TERMS} words "
                               '(a "quoted phrase" counts as one)')
    return " ".join(terms)


def search(
    db: sqlite_utils.Database,
    query: str,
    limit: int = 20,
    *,
    site: str | None = None,
    raw: bool = False,
    highlight: tuple[str, str] = ("[", "]"),
    snippet_tokens: int = 16,
) -> list[SearchHit]:
    """Articles matching `query`, best first, each with a snippet of its text.

    By default the query is made safe with fts_query(); `raw=True` passes FTS5 syntax
    through (NEAR, OR, prefix*, column filters) and turns its syntax errors into
    SearchQueryError.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchQueryError(f"limit must be from 1 to {MAX_LIMIT:,}, not {limit}")
    try:
        query.encode("utf-8")
    except UnicodeEncodeError:  # bytes a non-UTF-8 terminal passed in (surrogate escapes)
        raise SearchQueryError(
            f"the query {query!r} is not UTF-8 text: is the terminal's encoding UTF-8?"
        ) from None
    match = query.strip() if raw else fts_query(query)
    if not match:
        raise SearchQueryError("empty search: type at least one word")
    if site is not None and not site.strip():  # an unset $SITE in a script: not "every site"
        raise SearchQueryError("empty site name: give one, or leave the site out")
    sql = SEARCH_SQL.format(site_filter="and articles.site = :site" if site is not None else "")
    params = {
        "query": match, "limit": limit, "open": highlight[0], "close": highlight[1],
        "tokens": snippet_tokens, "site": site,
    }
    try:
        rows = db.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        message = str(exc)
        if any(marker in message for marker in (
            "fts5", "syntax error", "no such column", "special query", "unterminated string",
        )):
            raise SearchQueryError(f"cannot search for {query!r}: {message}") from exc
        raise
    return [
        SearchHit(
            canonical_url=r[0], url=r[1], site=r[2], title=r[3], published=r[4], fetched_at=r[5],
            warc_file=r[6], warc_offset=r[7], warc_record_id=r[8], rank=r[9], snippet=r[10],
        )
        for r in rows
    ]


def indexed_sites(db: sqlite_utils.Database) -> list[str]:
    """Every site the index holds a capture or a crawl run of."""
    rows = db.execute("select site from captures where site is not null "
                      "union select site from crawl_runs order by 1").fetchall()
    return [site for (site,) in rows]


def unknown_site_problem(db: sqlite_utils.Database, site: str | None) -> str | None:
    """A clear message when `site` names no site of this index (a typo printed "no articles
    match" and exited 0, as if the site had none)."""
    if site is None:
        return None
    sites = indexed_sites(db)
    if site in sites:
        return None
    return f"no site {site!r} in this index (its sites: {', '.join(sites) or 'none yet'})"


def archived_articles(db: sqlite_utils.Database, sites: str | Sequence[str]) -> dict[str, str]:
    """canonical URL -> last fetch time of every article of `sites` already in the index,
    under its canonical URL and its aliases (as linked, and canonical: the crawl looks links
    up by their canonical URL, and "/old?utm_source=rss" was never found again).

    A new crawl skips these (or revisits the stale ones): what was archived is known from
    our own index, not from Scrapy's JOBDIR, which loses requests on a kill (DESIGN.md)."""
    names = [sites] if isinstance(sites, str) else list(sites)
    marks = ", ".join("?" for _ in names)
    archived = dict(db.execute(
        f"select canonical_url, last_fetched_at from articles where site in ({marks})", names
    ).fetchall())
    aliases = db.execute(
        "select alias_url, articles.last_fetched_at from article_aliases join articles "
        f"using (canonical_url) where articles.site in ({marks})", names
    ).fetchall()
    for alias, fetched_at in aliases:
        archived[alias] = fetched_at
        if has_markers(alias):  # 26 us a URL: only where it changes anything
            with contextlib.suppress(ValueError):
                archived.setdefault(canonical_url(alias), fetched_at)
    return archived


def check_index(db: sqlite_utils.Database) -> list[str]:
    """Consistency problems of the index (empty when healthy): the FTS index against its
    table, and every article backed by its capture and its version."""
    problems = []
    try:
        db.execute("insert into articles_fts(articles_fts, rank) values('integrity-check', 1)")
    except sqlite3.DatabaseError as exc:
        problems.append(
            f"articles_fts does not match articles ({exc}); fix with "
            "`insert into articles_fts(articles_fts) values('rebuild')` or rebuild the index"
        )
    for what, sql in (
        ("articles without their capture row",
         "select count(*) from articles a left join captures c on c.id = a.capture_id"
         " where c.id is null"),
        ("articles without an article_versions row",
         "select count(*) from articles a where not exists (select 1 from article_versions v"
         " where v.canonical_url = a.canonical_url)"),
    ):
        n = db.execute(sql).fetchone()[0]
        if n:
            problems.append(f"{n} {what}")
    return problems
