"""index_warc_directory: the index rebuilt from the WARC files equals the one the crawl kept live."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from archive.index.database import open_index
from archive.index.rebuild import index_warc_directory
from archive.index.replace import rebuild_index
from archive.warc.reader import read_record
from archive.warc.records import HttpRequestData, HttpResponseData
from tests.index_docs import (
    BASE,
    FETCHED,
    PAGE,
    Crawl,
    article_dict,
    crawl_demo,
    dump,
    metadata,
)


def test_rebuild_equals_live_index(tmp_path: Path) -> None:
    warcs = tmp_path / "warcs"
    live = open_index(tmp_path / "live.db")
    crawl_demo(warcs, live, max_size=3000)  # small files: pairs and their metadata span files
    live.close()
    assert len(list(warcs.glob("*.warc.gz"))) > 2
    rebuilt = open_index(tmp_path / "rebuilt.db")
    stats = index_warc_directory(rebuilt, warcs)
    assert stats.problems == []
    assert (stats.captures, stats.articles, stats.unpaired_responses) == (7, 3, 0)
    rebuilt.close()
    assert dump(tmp_path / "rebuilt.db") == dump(tmp_path / "live.db")


def test_article_positions_point_at_their_records(tmp_path: Path) -> None:
    warcs = tmp_path / "warcs"
    crawl_demo(warcs, None)
    db = open_index(tmp_path / "index.db")
    index_warc_directory(db, warcs)
    rows = list(db.query("select * from articles order by url"))
    assert [r["url"] for r in rows] == [BASE + "/news/harbour", BASE + "/news/market"]
    assert rows[0]["versions"] == 2
    for row in rows:
        record = read_record(warcs, row["warc_file"], row["warc_offset"])
        assert record.rec_type == "response"
        assert record.target_uri == row["url"]
        assert record.position.record_id == row["warc_record_id"]
        assert record.position.payload_digest == row["payload_digest"]
        assert record.position.length == row["warc_length"]


def test_second_run_is_quick_and_changes_nothing(tmp_path: Path) -> None:
    warcs = tmp_path / "warcs"
    crawl_demo(warcs, None, max_size=3000)
    db = open_index(tmp_path / "index.db")
    first = index_warc_directory(db, warcs)
    before, changes = dump(tmp_path / "index.db"), db.conn.total_changes
    second = index_warc_directory(db, warcs)
    assert second.files_indexed == 0 and second.files_skipped == first.files_indexed
    assert second.records == 0
    assert db.conn.total_changes == changes
    assert dump(tmp_path / "index.db") == before


def test_metadata_in_a_file_indexed_by_a_later_run(tmp_path: Path) -> None:
    warcs = tmp_path / "warcs"
    db = open_index(tmp_path / "index.db")
    crawl = Crawl(warcs, None, max_size=1)  # every write rolls the file over
    meta = metadata("/news/a", article=article_dict("Text of a."))
    positions = crawl.writer.write_exchange(
        HttpRequestData("GET", BASE + "/news/a", []),
        HttpResponseData(BASE + "/news/a", 200, "OK", [], b"<html>a</html>", FETCHED),
    )
    crawl.writer.write_metadata(BASE + "/news/a", b"{}", refers_to=None)  # closes the pair's file
    first = index_warc_directory(db, warcs)
    assert first.unpaired_responses == 1
    crawl.writer.write_metadata(
        BASE + "/news/a", json.dumps(meta).encode(), refers_to=positions.response.record_id
    )
    crawl.writer.close()
    second = index_warc_directory(db, warcs)
    assert second.unpaired_responses == 0 and second.problems == []
    row = db.table("articles").get(BASE + "/news/a")
    assert row["warc_record_id"] == positions.response.record_id
    assert row["warc_file"] == positions.response.file


def test_a_cut_file_is_reported_indexed_as_far_as_it_goes_and_read_again_when_whole(
    tmp_path: Path,
) -> None:
    warcs = tmp_path / "warcs"
    crawl_demo(warcs, None, max_size=3000)
    victim = sorted(warcs.glob("*.warc.gz"))[1]
    whole = victim.read_bytes()
    victim.write_bytes(whole[:-20])  # e.g. a copy into the archive still under way
    db = open_index(tmp_path / "index.db")
    stats = index_warc_directory(db, warcs)
    assert len(stats.problems) == 1 and victim.name in stats.problems[0]
    assert "unreadable" in stats.problems[0]
    assert stats.files_indexed == stats.files_seen
    victim.write_bytes(whole)  # whole again: a file of another size is read again
    stats = index_warc_directory(db, warcs)
    assert stats.files_indexed == 1 and not stats.problems and stats.unpaired_responses == 0
    clean = open_index(tmp_path / "clean.db")
    index_warc_directory(clean, warcs)
    assert dump(tmp_path / "index.db") == dump(tmp_path / "clean.db")


def test_damage_inside_a_closed_file_costs_only_the_records_in_it(tmp_path: Path) -> None:
    warcs = tmp_path / "warcs"
    crawl_demo(warcs, None)
    (path,) = warcs.glob("*.warc.gz")
    clean = open_index(tmp_path / "clean.db")
    index_warc_directory(clean, warcs)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 200] = bytes(200)  # bit rot
    path.write_bytes(bytes(data))
    db = open_index(tmp_path / "index.db")
    stats = index_warc_directory(db, warcs)
    assert stats.problems and all(path.name in p for p in stats.problems)
    lost = clean.execute("select count(*) from captures").fetchone()[0] - stats.captures
    assert 0 <= lost <= 1 and stats.captures >= 5  # the damaged record's capture at most


def test_rebuild_replaces_the_index(tmp_path: Path) -> None:
    warcs = tmp_path / "warcs"
    crawl_demo(warcs, None)
    path = tmp_path / "index.db"
    db = open_index(path)
    db.execute("insert into crawl_runs (site, started) values ('stale', 'x')")
    holder = sqlite_utils.Database(path)  # e.g. Datasette serving it
    holder.execute("select count(*) from articles").fetchone()
    db.close()
    with pytest.raises(RuntimeError, match="open in another process"):
        rebuild_index(path, warcs)
    holder.close()
    stats = rebuild_index(path, warcs)
    assert stats.articles == 3
    fresh = open_index(path)
    assert [r["site"] for r in fresh.table("crawl_runs").rows] == ["stale"]  # carried over
    assert fresh.execute("select count(*) from articles").fetchone()[0] == 2
    assert not path.with_name("index.db.rebuild").exists()


def test_reextract_uses_the_archived_payload(tmp_path: Path) -> None:
    warcs = tmp_path / "warcs"
    crawl = Crawl(warcs, None)
    crawl.article("/news/harbour", "stale text from an old extractor", encoding="gzip")
    crawl.writer.close()
    db = open_index(tmp_path / "index.db")
    index_warc_directory(db, warcs)  # indexed first with the stored (stale) extraction
    assert "stale text" in db.table("articles").get(BASE + "/news/harbour")["text"]
    stats = index_warc_directory(db, warcs, reextract=True)  # no --rebuild needed
    assert stats.reextracted == 1 and stats.problems == []
    row = db.table("articles").get(BASE + "/news/harbour")
    assert "spring tide met a gale" in row["text"]
    assert "stale text" not in row["text"]
    assert row["title"] == "Harbour wall gives way in the night storm"


def test_reextract_finds_the_teasers_of_records_written_before_gated(tmp_path: Path) -> None:
    # Records of an archive made before `gated` do not say a revisit met a paywall: with
    # them the teaser is the latest version, shown; re-extracted, the full text is.
    warcs = tmp_path / "warcs"
    crawl = Crawl(warcs, None)
    old = metadata("/news/harbour", article=article_dict("stored text"))
    crawl.fetch("/news/harbour", PAGE.encode(), meta=old)
    ld = ('<script type="application/ld+json">{"@type": "NewsArticle", '
          '"isAccessibleForFree": false}</script>')
    more = "<p>" + "Subscribers can read how the council plans to pay for the repairs. " * 8
    teaser = PAGE.replace("</head>", ld + "</head>").replace("<p>Residents", more + "</p><p>x")
    crawl.fetch("/news/harbour", teaser.split("<p>x")[0].encode() + b"</article></body></html>",
                meta=old)
    crawl.writer.close()
    columns = "gated, versions, fetched_at < last_fetched_at"
    stale = open_index(tmp_path / "stale.db")
    index_warc_directory(stale, warcs)
    assert stale.execute(f"select {columns} from articles").fetchall() == [(0, 1, 0)]
    db = open_index(tmp_path / "index.db")
    stats = index_warc_directory(db, warcs, reextract=True)
    assert stats.reextracted == 2 and stats.problems == []
    row = db.execute(f"select text, {columns} from articles").fetchone()
    assert "nobody was hurt" in row[0] and row[1:] == (0, 2, 1)
    assert db.execute("select word_count from article_versions order by first_fetched_at desc"
                      ).fetchone()[0] >= 120


def test_progress_bar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    warcs = tmp_path / "warcs"
    crawl_demo(warcs, None)
    index_warc_directory(open_index(tmp_path / "index.db"), warcs, progress=True)
    assert "indexing" in capsys.readouterr().err


def test_reextract_has_a_per_page_timeout(tmp_path: Path) -> None:
    # A page that takes trafilatura minutes must not stall a rebuild: re-extraction runs in
    # the ExtractionPool, with its timeout. A page that times out keeps what the crawl stored:
    # a re-extraction that cannot finish says nothing new about it.
    warcs = tmp_path / "warcs"
    crawl = Crawl(warcs, None)
    # One tag with 100k attributes took trafilatura over 120 s (DESIGN.md).
    attributes = " ".join(f'a{i}="{i}"' for i in range(100_000))
    slow = f"<html><body><div {attributes}><p>{'text ' * 500}</p></div></body></html>"
    meta = metadata("/news/slow", article=article_dict("stored text"))
    crawl.fetch("/news/slow", slow.encode(), meta=meta)
    crawl.writer.close()
    db = open_index(tmp_path / "index.db")
    stats = index_warc_directory(db, warcs, reextract=True, extract_timeout=1.0)
    assert stats.reextracted == 0 and stats.articles == 1
    assert len(stats.problems) == 1 and "kept its stored extraction" in stats.problems[0]
    [capture] = list(db.table("captures").rows)
    assert (capture["outcome"], capture["article_status"]) == ("article", "ok")
    assert db.execute("select text from articles").fetchone()[0] == "stored text"


def test_a_bad_metadata_record_is_reported_and_the_rest_indexed(tmp_path: Path) -> None:
    """One metadata record the index cannot read must not block every file after it."""
    import json as _json

    from archive.index import index_warc_directory, open_index
    from archive.warc import WarcFileWriter

    writer = WarcFileWriter(tmp_path / "warc", fsync=False)
    good = {"newsarchive": 1, "site": "demo", "url": "http://x.test/a", "canonical_url": "http://x.test/a",
            "fetched_at": "2026-11-28T04:00:00+00:00", "status": 200, "content_type": "text/html",
            "outcome": "page", "reason": None, "discovery": None, "article": None}
    bad = {**good, "url": "http://x.test/b", "fetched_at": "yesterday"}
    for payload in (bad, good):
        writer.write_metadata(payload["url"], _json.dumps(payload).encode(), refers_to=None)
    writer.close()
    db = open_index(tmp_path / "index.db")
    stats = index_warc_directory(db, tmp_path / "warc")
    assert [row["url"] for row in db.table("captures").rows] == ["http://x.test/a"]
    assert len(stats.problems) == 1 and "fetched_at" in stats.problems[0]
    db.close()


def test_an_unreadable_metadata_record_is_reported_not_skipped(tmp_path: Path) -> None:
    warcs = tmp_path / "warcs"
    crawl = Crawl(warcs, None)
    crawl.article("/news/good", "Good one.")
    crawl.writer.write_metadata(BASE + "/news/cut", b'{"newsarchive": 1, "url": "htt', refers_to=None)
    crawl.writer.write_metadata(BASE + "/news/latin1", b'{"newsarchive": 1, "t": "caf\xe9"}',
                                refers_to=None)
    # Arrays in arrays past Python's recursion limit: json raises RecursionError, not
    # ValueError, and the whole build stopped with a traceback.
    crawl.writer.write_metadata(BASE + "/news/deep", b'{"newsarchive": 1, "t": ' + b"[" * 100_000
                                + b"]" * 100_000 + b"}", refers_to=None)
    crawl.writer.close()
    stats = index_warc_directory(open_index(tmp_path / "index.db"), warcs)
    assert stats.articles == 1 and len(stats.problems) == 3
    assert all("is not readable JSON" in p for p in stats.problems)
    assert "nested too deeply" in stats.problems[2]


def test_a_run_stopped_before_marking_a_file_gives_the_same_index_when_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer rolled over between a response (file A) and its metadata (file B); the run
    stops after B's captures are committed but before B is marked indexed."""
    import archive.index.rebuild as rebuild_module

    warcs = tmp_path / "warcs"
    crawl = Crawl(warcs, None, max_size=1)  # every write starts a new file
    crawl.article("/news/a", "Text of a.")
    crawl.writer.close()
    assert len(list(warcs.glob("*.warc.gz"))) == 2
    clean = open_index(tmp_path / "clean.db")
    index_warc_directory(clean, warcs)
    persist = rebuild_module._Responses.persist
    calls = []

    def stopping(self: Any) -> None:
        calls.append(1)
        if len(calls) == 2:  # in the transaction that marks file B indexed
            raise KeyboardInterrupt
        persist(self)

    monkeypatch.setattr(rebuild_module._Responses, "persist", stopping)
    db = open_index(tmp_path / "index.db")
    with pytest.raises(KeyboardInterrupt):
        index_warc_directory(db, warcs)
    monkeypatch.undo()
    stats = index_warc_directory(db, warcs)
    assert not stats.problems and stats.unpaired_responses == 0
    assert dump(tmp_path / "index.db") == dump(tmp_path / "clean.db")


def test_an_uncompressed_warc_file_is_named_not_passed_over(tmp_path: Path) -> None:
    """A file gunzipped to be read (or a .warc another tool wrote): only .warc.gz files are
    read, and a rebuild, `index` and `verify` passed it over without a word: its captures
    were silently missing from the index, and verify said OK."""
    import gzip

    from archive.warc import verify_directory

    warcs = tmp_path / "warcs"
    crawl_demo(warcs, None)
    (path,) = warcs.glob("*.warc.gz")
    plain = path.with_suffix("")
    plain.write_bytes(gzip.decompress(path.read_bytes()))
    path.unlink()
    db = open_index(tmp_path / "index.db")
    stats = index_warc_directory(db, warcs)
    assert len(stats.problems) == 1 and plain.name in stats.problems[0], stats.problems
    assert "not read" in stats.problems[0] and "warcio recompress" in stats.problems[0]
    report = verify_directory(warcs)
    assert not report.ok and [p.file for p in report.problems] == [plain.name]


def test_a_warc_file_filed_in_a_subfolder_is_named_not_passed_over(tmp_path: Path) -> None:
    """An operator filing a year's files into warc/2025/: only the WARC directory's own files
    are read, and a rebuild dropped their captures while `verify` said OK."""
    from archive.warc import verify_directory

    warcs = tmp_path / "warcs"
    crawl_demo(warcs, None)
    (path,) = warcs.glob("*.warc.gz")
    (warcs / "2025").mkdir()
    filed = path.rename(warcs / "2025" / path.name)
    db = open_index(tmp_path / "index.db")
    stats = index_warc_directory(db, warcs)
    assert stats.problems == [f"2025/{filed.name}: a WARC file in a subfolder is not read (only "
                              "warcs/'s own files are): move it up beside the others"]
    report = verify_directory(warcs)
    assert not report.ok and [p.file for p in report.problems] == [f"2025/{filed.name}"]


def test_responses_without_metadata_are_counted_by_file(tmp_path: Path) -> None:
    """A WARC file another tool wrote (warcio, wget) holds responses and none of our metadata
    records: every run said "3 responses have no metadata record (yet)" and no more, so the
    operator could not tell which of hundreds of files they were in."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    warcs = tmp_path / "warcs"
    crawl_demo(warcs, None)
    with open(warcs / "other-tool.warc.gz", "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for n in range(3):
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                f"http://other.example/{n}", "response", payload=io.BytesIO(b"<p>hi</p>"),
                length=9, http_headers=http))  # with its length: warcio buffers none
    db = open_index(tmp_path / "index.db")
    stats = index_warc_directory(db, warcs)
    assert stats.unpaired_responses == 3
    assert "3 responses have no metadata record (yet): other-tool.warc.gz (3)" in stats.format()
