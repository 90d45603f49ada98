"""Datasette plugin: highlighted search snippets, and a view of the archived WARC record.

Load it with the `datasette` entry point (`newsarchive = "archive.datasette_plugin"`).
Optional config in metadata: `plugins: {newsarchive: {warc_dir: PATH}}`; by default the
WARC files are in `warc/` beside the first database file (DATA/warc beside DATA/index.db).
"""

from __future__ import annotations

import asyncio
import codecs
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click
from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from archive.capture import redirect_takes_down
from archive.index.content import ContentEncodingError, undo_content_encoding
from archive.index.query import SearchQueryError, fts_query
from archive.index.schema import MIGRATION_SET, migration_names
from archive.warc.reader import WarcFormatError, WarcRecordData, read_record

PLUGIN = "newsarchive"
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"
SHOWN_BYTES = 200_000
# What the viewer decodes of a compressed payload: 2 KB of gzip in gzip inflates to gigabytes,
# and every request for it did so in memory (the crawl's own limit is 64 MiB).
DECODED_BYTES = 16 * 1024 * 1024
_FILE = re.compile(r"[A-Za-z0-9._-]+\.warc\.gz")
# Show an archived page without letting it run scripts or fetch anything from the live web.
PAGE_CSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def highlight(snippet: str) -> Markup:
    """Escape a snippet() value but keep its <mark> highlighting."""
    escaped = str(escape(snippet))
    return Markup(
        escaped.replace(str(escape(MARK_OPEN)), MARK_OPEN).replace(
            str(escape(MARK_CLOSE)), MARK_CLOSE
        )
    )


def record_path(file: str, offset: int) -> str:
    return f"/-/warc/{quote(file)}/{int(offset)}"


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str,
                datasette: Any) -> Markup | None:
    if column == "snippet" and isinstance(value, str) and MARK_OPEN in value:
        return highlight(value)
    # A capture's metadata record too: a fetch that got no response has no other.
    if column in ("warc_file", "metadata_warc_file") and isinstance(value, str):
        offset_column = column.replace("_file", "_offset")
        # sqlite3.Row is a sequence: `in row` would search its values, hence .keys().
        offset = row[offset_column] if offset_column in row.keys() else None  # noqa: SIM118
        if isinstance(offset, int):
            url = datasette.urls.path(record_path(value, offset))
            return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    return None


def _index(datasette: Any) -> Any:
    """The index database: the first one served from a file."""
    return next((db for db in datasette.databases.values() if db.path), None)


def warc_dir(datasette: Any) -> Path | None:
    config = datasette.plugin_config(PLUGIN) or {}
    if config.get("warc_dir"):
        return Path(config["warc_dir"])
    index = _index(datasette)
    return Path(index.path).parent / "warc" if index else None


# Records the index knows start exactly there. Any other offset may fall inside a record,
# where deflate stores an incompressible payload verbatim: a gzip member a hostile page hid in
# random bytes was read as a record of its own, a "response" of any URL it made up.
_KNOWN_RECORD = """
select 1 from captures where warc_file = :file and warc_offset = :offset
union all select 1 from captures where metadata_warc_file = :file and metadata_warc_offset = :offset
union all select 1 from unpaired_responses where warc_file = :file and warc_offset = :offset
union all select 1 from crawl_runs where warc_file = :file and warc_offset = :offset
limit 1"""


async def _known_record(index: Any, file: str, offset: int) -> bool:
    """Whether the index knows a record at `file` and `offset`; raises sqlite3.Error when
    the index cannot be read (that is no answer: a 404 told researchers the page was never
    archived)."""
    try:
        rows = await index.execute(_KNOWN_RECORD, {"file": file, "offset": offset})
    except OverflowError:  # past SQLite's integers: no record starts there
        return False
    return bool(rows.rows)


def _headers_table(headers: list[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in headers)
    return f"<table>{rows}</table>"


_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
# A Content-Type as the viewer passes it on: a hostile server's NUL or line break in the
# archived header made the server drop the connection.
_MEDIA_TYPE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:\s*;[ -~]*)?")


def _charset(content_type: str | None) -> str | None:
    """The archived Content-Type's charset when Python knows it."""
    found = _CHARSET.search(content_type or "")
    if found:
        try:
            return codecs.lookup(found.group(1)).name
        except LookupError:
            pass
    return None


def _decode(body: bytes, content_type: str | None) -> tuple[str, bool]:
    """The payload as text, and whether it is in the charset its header names.

    In the archived charset (a windows-1251 page read as UTF-8 showed only U+FFFD); when the
    bytes are not valid in it (a header that lies), as extraction reads them: UTF-8, else
    the page's own declaration or a guess.
    """
    charset = _charset(content_type) or "utf-8"
    try:
        return body.decode(charset), True
    except UnicodeDecodeError:
        from trafilatura.utils import decode_file  # imported here: the viewer rarely needs it

        return decode_file(body), False


def _in_charset(body: bytes, content_type: str | None) -> bool:
    try:
        body.decode(_charset(content_type) or "utf-8")
    except UnicodeDecodeError:
        return False
    return True


# Types that say nothing of what the bytes are: the crawl (Scrapy sniffs a body sent so) read
# a page sent with one, or with none, as HTML when it looked like HTML, and so do browsers
# when there is none.
_UNKNOWN_TYPES = frozenset({"application/octet-stream", "binary/octet-stream",
                            "application/unknown", "unknown/unknown"})
# The HTML signatures of the WHATWG MIME sniffing standard, after a BOM and whitespace.
_HTML_START = re.compile(
    rb"(?:\xef\xbb\xbf)?[\t\n\f\r ]*<(?:!--|(?:!doctype html|html|head|body|title|script|style"
    rb"|iframe|h1|div|font|table|a|b|br|p)[\t\n\f\r >])", re.I)


def _served_type(content_type: str | None, charset_holds: bool, body: bytes) -> str:
    """The Content-Type ?view=page serves: the archived one when well formed, without a
    charset the bytes do not hold (the browser then reads the page's <meta charset>); a page
    that looks like HTML and came with no type or an unknown one, as HTML (a browser sent
    application/octet-stream downloads the article as a file)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if (not content_type or media_type in _UNKNOWN_TYPES) and _HTML_START.match(body):
        return "text/html"
    if not content_type or not _MEDIA_TYPE.fullmatch(content_type.strip()):
        return "application/octet-stream"
    content_type = content_type.strip()
    return content_type if charset_holds else content_type.split(";", 1)[0]


def _content_type(record: WarcRecordData) -> str | None:
    """The payload's type: its HTTP header's, or for a record with no HTTP message (our
    metadata records: JSON) the record's own. Served as none, the JSON was a download."""
    if record.http_headers is None:
        return record.warc_header("Content-Type")
    return record.http_header("Content-Type")


def _page(record: WarcRecordData, body: bytes, note: str) -> str:
    pos = record.position
    shown = _decode(body[:SHOWN_BYTES], _content_type(record))[0]
    cut = f" (first {SHOWN_BYTES:,} of {len(body):,} bytes)" if len(body) > SHOWN_BYTES else ""
    http, link = "", "<a href='?view=page'>View the payload</a>"
    if record.http_headers is not None:
        link = "<a href='?view=page'>View the archived page</a> (sandboxed, no live resources)"
        http = (
            f"<h2>HTTP</h2><p><code>{escape(record.http_start_line or '')}</code></p>"
            + _headers_table(record.http_headers)
        )
    return (
        "<!doctype html><meta charset='utf-8'>"
        f"<title>{escape(record.target_uri or pos.record_id)}</title>"
        "<style>body{font-family:sans-serif;margin:1em 2em}th{text-align:left;padding-right:1em}"
        "pre{white-space:pre-wrap;background:#f6f6f6;padding:1em}</style>"
        f"<h1>{escape(record.rec_type)} record</h1>"
        f"<p>{escape(pos.file)} at offset {pos.offset}, {pos.length} bytes compressed. "
        f"{link}</p><h2>WARC</h2>{_headers_table(record.warc_headers)}{http}"
        f"<h2>Payload{escape(cut)}</h2>{escape(note)}<pre>{escape(shown)}</pre>"
    )


def _body(record: WarcRecordData) -> tuple[bytes, str]:
    """The payload without its Content-Encoding, or as archived with a note why."""
    try:
        body, left = undo_content_encoding(
            record.payload, ", ".join(record.http_header_values("Content-Encoding")),
            max_size=DECODED_BYTES,
            # A body the crawl cut (WARC-Truncated): what inflates is all there is, as the
            # crawl read it. Refused as "cut short", the view showed the compressed bytes.
            partial=record.warc_header("WARC-Truncated") is not None,
        )
    except ContentEncodingError as exc:
        return record.payload, f"Shown as archived: {exc}"
    return body, f"Content-Encoding {', '.join(left)} is not one we know: shown as received" if left else ""


async def warc_record(request: Any, datasette: Any) -> Response:
    """/-/warc/FILE/OFFSET: one archived record; ?view=page renders its payload sandboxed."""
    file = request.url_vars["file"]
    directory = warc_dir(datasette)
    try:
        offset = int(request.url_vars["offset"])
    except ValueError:  # more digits than int() reads: no file is that long either
        return Response.text("no record at that offset", status=404)
    index = _index(datasette)
    if directory is None or index is None or not _FILE.fullmatch(file):
        return Response.text("no such WARC file", status=404)
    # A 404 only where no record is: a record the index cannot tell of, or knows but cannot
    # read, is the archive's error (500), with the reason.
    try:
        known = await _known_record(index, file, offset)
    except sqlite3.Error as exc:  # damaged, not a database, not a newsarchive index
        return Response.text(f"cannot read the index {index.path}: {exc}", status=500)
    if not known:
        return Response.text(f"no record the index knows at {file} offset {offset}", status=404)
    loop = asyncio.get_running_loop()
    try:
        record = await loop.run_in_executor(None, read_record, directory, file, offset)
    except FileNotFoundError:
        # Archived, but its file moved away or deleted: a bare "no WARC file" 404 read as a
        # page never archived. 410: the index knows it was there.
        return Response.text(f"the index knows a record at {file} offset {offset}, but its WARC "
                             f"file {directory / file} is gone (moved away or deleted): put it "
                             "back, or run `newsarchive index --rebuild` to drop its captures",
                             status=410)
    except (WarcFormatError, OSError, ValueError) as exc:  # damaged; a directory, no permission
        reason = exc.reason if isinstance(exc, WarcFormatError) else str(exc)
        return Response.text(f"cannot read the record the index knows at {file} offset "
                             f"{offset}: {reason}", status=500)
    # Off the event loop: decoding a large page held every other request for seconds.
    body, note = await loop.run_in_executor(None, _body, record)
    if request.args.get("view") == "page":
        content_type = _content_type(record)
        # Off the event loop, and without the fallback's charset guessing: only the verdict.
        holds = bool(note) or await loop.run_in_executor(None, _in_charset, body, content_type)
        return Response(body, headers={"Content-Security-Policy": PAGE_CSP},
                        content_type=_served_type(content_type, holds, body))
    return Response.html(await loop.run_in_executor(None, _page, record, body, note))


# trylast: after Datasette's own prepare_connection, whose escape_fts this replaces.
@hookimpl(trylast=True)
def prepare_connection(conn: Any) -> None:
    # The canned search's query, made safe as `newsarchive search` makes it: Datasette's
    # escape_fts() let a NUL or a quoted phrase across a line break raise FTS5 errors.
    conn.create_function("newsarchive_fts_query", 1, _match_expression, deterministic=True)
    # The table search (?_search=, the README's export) calls escape_fts(): Datasette's made
    # a lone quote, an empty phrase, a NUL or a blank search a 400 "fts5: syntax error".
    # Ours reads it as the canned search does (econom* included); no word matches nothing.
    # The index's only: every Datasette of the environment loads this plugin, and ours is
    # FTS5 syntax ("econom"* is no prefix to FTS4, which found nothing for econom*).
    if _is_index(conn):
        conn.create_function("escape_fts", 1, _match_expression, deterministic=True)
    # taken_down's removals by redirect (to the home page, or a section above the story).
    conn.create_function("newsarchive_redirect_takes_down", 2, _takes_down, deterministic=True)


def _is_index(conn: sqlite3.Connection) -> bool:
    """Whether `conn` is to a newsarchive index, not to another database served beside it."""
    try:
        return conn.execute("select 1 from _sqlite_migrations where migration_set = ? limit 1",
                            [MIGRATION_SET]).fetchone() is not None
    except sqlite3.Error:  # no migrations table; not a database at all (Datasette says so)
        return False


def _takes_down(url: Any, reason: Any) -> bool:
    try:
        return redirect_takes_down(str(url or ""), reason if isinstance(reason, str) else None)
    except ValueError:  # a URL urlsplit refuses ("http://[x"): no removal it can tell
        return False


def _match_expression(text: Any) -> str:
    try:
        return fts_query(str(text or ""))
    except SearchQueryError:
        return '""'  # an empty search matches nothing


@hookimpl
def startup(datasette: Any) -> Any:
    async def check_schema() -> None:
        # An index of an older schema (served right after an upgrade, before a crawl or
        # `newsarchive index` migrated it; an old copy handed to a researcher) broke on the
        # columns config/datasette.yaml names: the articles table answered 500 "Cannot sort
        # table by published_utc", latest_articles an SQL error.
        index = _index(datasette)
        if index is None:
            return
        try:
            rows = await index.execute(
                "select name from _sqlite_migrations where migration_set = ?", [MIGRATION_SET]
            )
        except sqlite3.Error:  # no migrations table: not a newsarchive index, or not readable
            return
        applied = {row[0] for row in rows.rows}
        if applied and (missing := [m for m in migration_names() if m not in applied]):
            raise click.ClickException(
                f"{index.path} is an index of an older schema ({len(missing)} migrations not "
                f"applied, from {missing[0]}): run `newsarchive index --data "
                f"{Path(index.path).parent}` once (on a writable copy if it is read-only), "
                "then serve it"
            )

    return check_schema


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [(r"^/-/warc/(?P<file>[^/]+)/(?P<offset>\d+)$", warc_record)]
