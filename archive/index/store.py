"""Write side of the index: project one capture into it, in one transaction."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Protocol

import sqlite_utils

from archive.index.database import transaction
from archive.index.dates import CaptureError, normalize_time, utc_or_none
from archive.zones import site_zone

METADATA_VERSION = 1


class Position(Protocol):
    """What the index needs of `archive.warc.records.WarcPosition` (structural, read-only)."""

    @property
    def file(self) -> str: ...
    @property
    def offset(self) -> int: ...
    @property
    def length(self) -> int: ...
    @property
    def record_id(self) -> str: ...
    @property
    def payload_digest(self) -> str | None: ...


@dataclass
class CaptureDoc:
    """One capture as the index sees it: the crawl's metadata JSON and where it lives in the WARC."""

    metadata: dict[str, Any]  # the `newsarchive` metadata record payload (see contracts)
    response: Position | None  # the response record; None when the fetch got no response
    metadata_position: Position | None  # the metadata record itself


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def content_sha1(article: Mapping[str, Any]) -> str:
    """What makes two captures the same version of an article: its title and text."""
    return _sha1(f"{article.get('title') or ''}\0{article.get('text') or ''}")


def is_indexed_article(metadata: Mapping[str, Any]) -> bool:
    """Only a capture the crawl called an article, with an ok extraction, makes an article row."""
    article = metadata.get("article")
    return (
        metadata.get("outcome") == "article"
        and isinstance(article, Mapping)
        and article.get("status") == "ok"
    )


def _position_columns(pos: Position | None, prefix: str = "") -> dict[str, Any]:
    if prefix:
        return {
            f"{prefix}warc_file": pos.file if pos else None,
            f"{prefix}warc_offset": pos.offset if pos else None,
            f"{prefix}warc_length": pos.length if pos else None,
            f"{prefix}record_id": pos.record_id if pos else None,
        }
    return {
        "warc_file": pos.file if pos else None,
        "warc_offset": pos.offset if pos else None,
        "warc_length": pos.length if pos else None,
        "warc_record_id": pos.record_id if pos else None,
        "payload_digest": pos.payload_digest if pos else None,
    }


def capture_id(doc: CaptureDoc) -> str:
    """The response record id; else the metadata record id; else a hash of url + time."""
    if doc.response is not None:
        return doc.response.record_id
    if doc.metadata_position is not None:
        return doc.metadata_position.record_id
    key = f"{doc.metadata.get('url')}\n{doc.metadata.get('fetched_at')}"
    return "sha1:" + _sha1(key)


def capture_row(doc: CaptureDoc) -> dict[str, Any]:
    """The `captures` row for a document (validates the metadata payload)."""
    meta = doc.metadata
    if meta.get("newsarchive") != METADATA_VERSION:
        raise CaptureError(
            f"not a newsarchive v{METADATA_VERSION} metadata payload "
            f"(newsarchive={meta.get('newsarchive')!r})"
        )
    for key in ("url", "fetched_at", "outcome"):
        if not meta.get(key):
            raise CaptureError(f"metadata payload has no {key!r} (url={meta.get('url')!r})")
    _check_types(meta)
    url = str(meta["url"])
    article = meta.get("article") if isinstance(meta.get("article"), Mapping) else None
    discovery = meta.get("discovery") if isinstance(meta.get("discovery"), Mapping) else None
    is_article = is_indexed_article(meta)
    return {
        "id": capture_id(doc),
        "url": url,
        "site": meta.get("site"),
        "canonical_url": meta.get("canonical_url") or url,
        "status": meta.get("status"),
        "content_type": meta.get("content_type"),
        "fetched_at": normalize_time(str(meta["fetched_at"]), what=f"fetched_at of {url}"),
        "outcome": meta["outcome"],
        "reason": meta.get("reason"),
        "discovery_source": discovery.get("source") if discovery else None,
        "article_status": article.get("status") if article else None,
        "content_sha1": content_sha1(article) if is_article and article else None,
        # Whether this fetch of the article was not free to read: its version's gated.
        "gated": int(bool(article.get("gated"))) if is_article and article else None,
        **_position_columns(doc.response),
        **_position_columns(doc.metadata_position, prefix="metadata_"),
    }


# The scalar fields the index stores or reads as text or numbers. A payload holding anything
# else (hand-edited, or from another tool) is refused as a whole, with a CaptureError naming
# the field, not half-applied by a TypeError in the middle of a file's batch.
_SCALARS: dict[str, type | tuple[type, ...]] = {
    "site": str, "url": str, "canonical_url": str, "status": int, "content_type": str,
    "outcome": str, "reason": str, "timezone": str,
}
_ARTICLE_SCALARS: dict[str, type | tuple[type, ...]] = {
    "status": str, "text": str, "title": str, "published": str, "modified": str,
    "language": str, "description": str, "sitename": str, "section": str, "image": str,
    "date_source": str, "canonical_url": str, "reason": str,
}


def _check_types(meta: Mapping[str, Any]) -> None:
    def check(fields: Mapping[str, type | tuple[type, ...]], values: Mapping[str, Any],
              prefix: str) -> None:
        for key, kind in fields.items():
            value = values.get(key)
            if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
                raise CaptureError(f"metadata field {prefix}{key} holds {type(value).__name__} "
                                   f"{value!r:.80} (url={meta.get('url')!r:.200})")

    check(_SCALARS, meta, "")
    if isinstance(meta.get("discovery"), Mapping):
        check({"source": str}, meta["discovery"], "discovery.")
    if isinstance(meta.get("article"), Mapping):
        check(_ARTICLE_SCALARS, meta["article"], "article.")
        gated = meta["article"].get("gated")
        if gated is not None and not isinstance(gated, bool):
            raise CaptureError(f"metadata field article.gated holds {type(gated).__name__} "
                               f"{gated!r:.80} (url={meta.get('url')!r:.200})")
    aliases = meta.get("aliases")
    if aliases is not None and not (
        isinstance(aliases, list) and all(isinstance(a, str) for a in aliases)
    ):
        raise CaptureError(f"metadata field aliases is not a list of URLs: {aliases!r:.80}")
    try:
        site_zone(meta.get("timezone"))
    except ValueError as exc:  # a name this machine's tz database lacks, or a hand edit
        raise CaptureError(f"metadata field timezone: {exc} (url={meta.get('url')!r:.200})") from None
    if is_indexed_article(meta) and not meta.get("site"):
        raise CaptureError(f"metadata payload of an article has no 'site' (url={meta['url']!r})")


def _json_list(value: Any) -> str:
    items = value if isinstance(value, list) else ([] if value is None else [value])
    return json.dumps(items, ensure_ascii=False)


def _article_row(capture: Mapping[str, Any], article: Mapping[str, Any],
                 zone: tzinfo) -> dict[str, Any]:
    text = article.get("text") or ""
    return {
        "canonical_url": capture["canonical_url"],
        "site": capture["site"],
        "url": capture["url"],
        "fetched_at": capture["fetched_at"],
        "word_count": len(text.split()),
        "title": article.get("title"),
        "authors": _json_list(article.get("authors")),
        "published": article.get("published"),
        # `published` stays as the page wrote it; its UTC instant reads a time without an
        # offset in the site's zone, as the crawl recorded it.
        "published_utc": utc_or_none(article.get("published"), zone),
        "modified": article.get("modified"),
        "language": article.get("language"),
        "description": article.get("description"),
        "sitename": article.get("sitename"),
        "section": article.get("section"),
        "tags": _json_list(article.get("tags")),
        "image": article.get("image"),
        "date_source": article.get("date_source"),
        "gated": int(bool(article.get("gated"))),
        # Sorted keys: the crawl's metadata JSON is written sorted, a re-extraction's is not.
        "date_candidates": json.dumps(
            article.get("date_candidates") or [], ensure_ascii=False, sort_keys=True
        ),
        "text": text,
        "capture_id": capture["id"],
        **{k: capture[k] for k in _position_columns(None)},
    }


def fetch_row(db: sqlite_utils.Database, sql: str, params: list[Any]) -> dict[str, Any] | None:
    """The first row `sql` selects, as a dict; None when there is none."""
    cursor = db.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def _upsert_if_changed(
    db: sqlite_utils.Database, table: str, pk: str | tuple[str, ...], row: dict[str, Any],
    existing: Mapping[str, Any] | None,
) -> None:
    # Writing an identical row would still rewrite the FTS entry and bump rowids;
    # skipping it is what makes a second apply of the same capture change nothing.
    if existing is not None and all(existing.get(k) == v for k, v in row.items()):
        return
    columns = tuple(row)
    db.execute(_upsert_sql(table, (pk,) if isinstance(pk, str) else pk, columns),
               [json.dumps(v) if isinstance(v, (list, dict)) else v for v in row.values()])


@functools.cache
def _upsert_sql(table: str, pk: tuple[str, ...], columns: tuple[str, ...]) -> str:
    """INSERT .. ON CONFLICT DO UPDATE, built once per shape: sqlite-utils' upsert() reads
    the table's schema on every call, which was most of the index's cost per page."""
    names = ", ".join(f'"{c}"' for c in columns)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in pk)
    keys = ", ".join(f'"{k}"' for k in pk)
    return (f'insert into "{table}" ({names}) values ({", ".join("?" for _ in columns)}) '
            f"on conflict ({keys}) do update set {updates}")


def _refresh_version(
    db: sqlite_utils.Database, canonical_url: str, sha1: str, article: dict[str, Any] | None
) -> None:
    """Recompute one article_versions row from the captures that produced that text."""
    where = "canonical_url = ? and content_sha1 = ?"
    agg = fetch_row(
        db,
        f"select count(*) as n, max(fetched_at) as last, coalesce(min(gated), 0) as gated "
        f"from captures where {where}",
        [canonical_url, sha1],
    )
    existing = fetch_row(db, f"select * from article_versions where {where}", [canonical_url, sha1])
    if not agg or not agg["n"]:
        if existing is not None:
            db.execute(f"delete from article_versions where {where}", [canonical_url, sha1])
        return
    first = fetch_row(
        db,
        "select id, fetched_at, warc_file, warc_offset, warc_length, warc_record_id, payload_digest"
        f" from captures where {where} order by fetched_at, id limit 1",
        [canonical_url, sha1],
    )
    assert first is not None
    row: dict[str, Any] = {
        "canonical_url": canonical_url,
        "content_sha1": sha1,
        "first_fetched_at": first["fetched_at"],
        "last_fetched_at": agg["last"],
        "captures": agg["n"],
        "gated": agg["gated"],  # every fetch of this text was: one free was there to read
        "capture_id": first["id"],
        **{k: first[k] for k in _position_columns(None)},
    }
    if article is not None:
        row.update(title=article["title"], word_count=article["word_count"], text=article["text"])
    elif existing is None:
        return  # only reachable for a stale key whose text we no longer have
    _upsert_if_changed(db, "article_versions", ("canonical_url", "content_sha1"), row, existing)


def _shown_first(row: Mapping[str, Any]) -> tuple[bool, str, str]:
    """The order in which captures compete for the articles row, highest first: free before
    gated (a paywall put up days after publishing must not replace the full text that
    search finds with its teaser), then the latest. A total order, so live crawl and
    rebuild agree whatever order the captures arrive in."""
    return not row["gated"], row["fetched_at"], row["capture_id"]


def _derived(db: sqlite_utils.Database, canonical_url: str) -> dict[str, Any]:
    """The articles columns summed up over all the article's versions."""
    derived = fetch_row(
        db,
        "select min(first_fetched_at) as first_fetched_at, max(last_fetched_at) as last_fetched_at,"
        " count(*) as versions from article_versions where canonical_url = ?",
        [canonical_url],
    )
    assert derived is not None
    return derived


def _write_article(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    key = row["canonical_url"]
    existing = fetch_row(db, "select * from articles where canonical_url = ?", [key])
    # A re-extraction of the capture shown replaces its own row, gated or not: the index
    # holds no other capture's metadata to show instead. (So `index --reextract` over an
    # index made before `gated` leaves in the row a teaser it finds gated, where
    # `--rebuild --reextract` shows the earlier free version.)
    if existing is not None and row["capture_id"] != existing["capture_id"] and (
        _shown_first(row) < _shown_first(existing)
    ):
        row = {k: existing[k] for k in row}
    # last_fetched_at, not fetched_at, is when the article was last fetched: crawls ask.
    row.update(_derived(db, key))
    _upsert_if_changed(db, "articles", "canonical_url", row, existing)


def _refresh_derived(db: sqlite_utils.Database, canonical_url: str) -> None:
    """A version went while the row stays (it shows another capture): sum up again."""
    derived = _derived(db, canonical_url)
    values = [derived["first_fetched_at"], derived["last_fetched_at"], derived["versions"]]
    db.execute(
        "update articles set first_fetched_at = ?, last_fetched_at = ?, versions = ? "
        "where canonical_url = ? and (first_fetched_at, last_fetched_at, versions) "
        "is not (?, ?, ?)",
        [*values, canonical_url, *values],
    )


def _drop_article_left_without_text(
    db: sqlite_utils.Database, canonical_url: str, capture_id: str
) -> None:
    """A re-extraction took back the only ok extraction of an article: its row goes too.

    When other captures of the article still have text, the row keeps showing this one's
    old extraction (the index holds no other capture's metadata): `index --rebuild` gives
    the row of the latest of them.
    """
    row = fetch_row(db, "select capture_id from articles where canonical_url = ?", [canonical_url])
    if row is None:
        return
    left = db.execute(
        "select count(*) from captures where canonical_url = ? and content_sha1 is not null",
        [canonical_url],
    ).fetchone()[0]
    if not left and row["capture_id"] == capture_id:
        db.execute("delete from articles where canonical_url = ?", [canonical_url])
    else:
        _refresh_derived(db, canonical_url)


def forget_capture(db: sqlite_utils.Database, capture_id: str) -> str | None:
    """Remove a capture whose records are no longer in the WARC files (a salvage cut them
    out of a crash's damaged file), with its share of article_versions.

    Returns the article URL whose row showed this capture: that row is deleted too, and
    the caller applies the article's remaining captures again, if it has any.
    """
    row = fetch_row(db, "select canonical_url, content_sha1 from captures where id = ?", [capture_id])
    if row is None:
        return None
    db.execute("delete from captures where id = ?", [capture_id])
    if row["content_sha1"] is None:
        return None
    _refresh_version(db, row["canonical_url"], row["content_sha1"], None)
    shown = fetch_row(db, "select capture_id from articles where canonical_url = ?", [row["canonical_url"]])
    if shown is None or shown["capture_id"] != capture_id:
        _refresh_derived(db, row["canonical_url"])
        return None
    db.execute("delete from articles where canonical_url = ?", [row["canonical_url"]])
    return str(row["canonical_url"])


def apply_capture(db: sqlite_utils.Database, doc: CaptureDoc) -> None:
    """Project one capture into the index, in one transaction (a savepoint if one is open).

    Writes the captures row; for an ok article also its article_versions row and the
    articles row (the FTS row follows by trigger). Idempotent and order-independent.
    """
    capture = capture_row(doc)
    article = None
    if capture["content_sha1"] is not None:
        article = _article_row(capture, doc.metadata["article"],
                               site_zone(doc.metadata.get("timezone")))
    with transaction(db):
        previous = fetch_row(db, "select * from captures where id = ?", [capture["id"]])
        _upsert_if_changed(db, "captures", "id", capture, previous)
        if previous and previous["content_sha1"] and (
            previous["canonical_url"], previous["content_sha1"]
        ) != (capture["canonical_url"], capture["content_sha1"]):
            # A re-extraction changed this capture's text: its old version may be gone.
            _refresh_version(db, previous["canonical_url"], previous["content_sha1"], None)
            if article is None or article["canonical_url"] != previous["canonical_url"]:
                _drop_article_left_without_text(db, previous["canonical_url"], capture["id"])
        if article is not None:
            _refresh_version(db, capture["canonical_url"], capture["content_sha1"], article)
            _write_article(db, article)
        for alias in doc.metadata.get("aliases") or []:
            # The earliest sighting wins (then the smaller URL), so applying captures again or
            # in any order gives the same row.
            db.execute(
                "insert into article_aliases (alias_url, canonical_url, site, first_seen) "
                "values (?, ?, ?, ?) on conflict (alias_url) do update set "
                "canonical_url = excluded.canonical_url, site = excluded.site, "
                "first_seen = excluded.first_seen "
                "where (excluded.first_seen, excluded.canonical_url) "
                "< (article_aliases.first_seen, article_aliases.canonical_url)",
                [alias, capture["canonical_url"], capture["site"], capture["fetched_at"]],
            )
