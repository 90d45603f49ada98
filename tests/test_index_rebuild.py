"""index_warc_directory: the index rebuilt from the WARC files equals the one the crawl kept live."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import brotli
import pytest
import sqlite_utils

from archive.index.content import ContentEncodingError, decode_body
from archive.index.database import open_index
from archive.index.rebuild import index_lock, index_warc_directory, rebuild_index
from archive.index.store import start_run
from archive.warc.reader import read_record, warc_files
from archive.warc.records import HttpRequestData, HttpResponseData
from archive.warc.salvage import salvage_directory
from tests.conftest import ROOT
from tests.index_docs import (
    BASE,
    FETCHED,
    Crawl,
    article_dict,
    crawl_demo,
    dump,
    metadata,
    read_only_view,
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


def test_progress_bar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    warcs = tmp_path / "warcs"
    crawl_demo(warcs, None)
    index_warc_directory(open_index(tmp_path / "index.db"), warcs, progress=True)
    assert "indexing" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("br", brotli.compress),
        ("deflate", lambda b: __import__("zlib").compress(b)),
        ("gzip, br", lambda b: brotli.compress(gzip.compress(b))),
        (None, lambda b: b),
    ],
)
def test_decode_body(encoding: str | None, encode: Any) -> None:
    assert decode_body(encode(b"<p>hello</p>"), encoding) == b"<p>hello</p>"


def test_decode_body_errors() -> None:
    with pytest.raises(ContentEncodingError, match="zstd"):
        decode_body(b"x", "zstd")
    with pytest.raises(ContentEncodingError, match="not valid gzip"):
        decode_body(b"not gzip", "gzip")


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
    crawl.writer.close()
    stats = index_warc_directory(open_index(tmp_path / "index.db"), warcs)
    assert stats.articles == 1 and len(stats.problems) == 2
    assert all("is not readable JSON" in p for p in stats.problems)


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


def test_a_salvage_that_cuts_records_out_of_a_live_indexed_file_leaves_no_row_pointing_elsewhere(
    tmp_path: Path,
) -> None:
    """A crawl indexes its file as it writes it. When it dies and the salvage cuts a damaged
    record out of that file, the records after it move up: the cut captures' rows named
    offsets that then held other pages' records, and `newsarchive index` kept them."""
    warcs = tmp_path / "warcs"
    live = open_index(tmp_path / "live.db")
    crawl = Crawl(warcs, live)
    first = crawl.article("/news/harbour", "The old harbour wall collapsed.")
    cut = crawl.article("/news/harbour", "The old harbour wall collapsed. Update: repairs.")
    crawl.article("/news/market", "A quiet day at the market.")
    lost = crawl.article("/news/ferry", "The ferry did not sail.")
    crawl.article("/news/school", "The school reopened after the storm.")
    crawl.writer.close()
    assert first and cut and lost and cut.response and lost.response
    (path,) = warcs.glob("*.warc.gz")
    # The crawl died before closing its file; bit rot hit the latest harbour version and the
    # ferry story (their response records), in the middle of the file.
    data = bytearray(path.read_bytes())
    for damaged in (cut.response, lost.response):
        data[damaged.offset + damaged.length // 2] ^= 0xFF
    path.unlink()
    path.with_name(path.name + ".open").write_bytes(bytes(data))
    (salvaged,) = salvage_directory(warcs)
    assert salvaged.bytes_dropped > 0
    stats = index_warc_directory(live, warcs)
    assert sum("no longer in the file" in p for p in stats.problems) == 2, stats.problems
    shown = {url: (file, offset) for url, file, offset in
             live.execute("select url, warc_file, warc_offset from articles")}
    live.close()
    # Every article row names its own response; the harbour story shows its first version again.
    assert BASE + "/news/ferry" not in shown and len(shown) == 3
    for url, (file, offset) in shown.items():
        assert read_record(warcs, file, offset).target_uri == url
    assert first.response and shown[BASE + "/news/harbour"][1] == first.response.offset
    rebuilt = open_index(tmp_path / "rebuilt.db")
    index_warc_directory(rebuilt, warcs)
    rebuilt.close()
    assert dump(tmp_path / "rebuilt.db") == dump(tmp_path / "live.db")


def test_files_indexed_before_aliases_were_stored_are_read_again(tmp_path: Path) -> None:
    """Files marked indexed before migration 0010 were read when no alias was stored: after
    the upgrade `index` skipped them, and their aliases never reached article_aliases."""
    warcs = tmp_path / "warcs"
    crawl = Crawl(warcs, None)
    crawl.fetch("/news/harbour", meta={**metadata("/news/harbour", article=article_dict("Wall fell.")),
                                       "aliases": [BASE + "/amp/news/harbour"]})
    crawl.writer.close()
    db = open_index(tmp_path / "index.db")
    index_warc_directory(db, warcs)
    # The index as an older version left it: the file marked indexed, no alias stored.
    db.execute("delete from article_aliases")
    db.execute("delete from _sqlite_migrations where name = '0011_reread_for_aliases'")
    db.conn.commit()
    db.close()
    db = open_index(tmp_path / "index.db")
    stats = index_warc_directory(db, warcs)
    assert stats.files_indexed == 1 and stats.problems == []
    assert [r["alias_url"] for r in db.table("article_aliases").rows] == [BASE + "/amp/news/harbour"]


def test_a_file_name_that_is_not_utf8_is_reported_and_the_others_indexed(tmp_path: Path) -> None:
    warcs = tmp_path / "warcs"
    crawl_demo(warcs, None)
    (path,) = warcs.glob("*.warc.gz")
    latin1 = Path(os.fsdecode(bytes(warcs) + b"/archiv-caf\xe9.warc.gz"))
    latin1.write_bytes(path.read_bytes())
    db = open_index(tmp_path / "index.db")
    stats = index_warc_directory(db, warcs)
    assert stats.problems == [
        "archiv-caf\ufffd.warc.gz: the file name is not UTF-8; rename the file to index it"
    ]
    assert stats.files_indexed == 1 and stats.captures == 7
    assert [r["name"] for r in db.table("indexed_files").rows] == [path.name]


def test_rebuild_over_a_damaged_index_puts_the_new_one_in_place(tmp_path: Path) -> None:
    """What the message for a damaged index says to do: `newsarchive index --rebuild`."""
    warcs = tmp_path / "warcs"
    crawl_demo(warcs, None)
    damaged = tmp_path / "index.db"
    damaged.write_bytes(os.urandom(8192))
    stats = rebuild_index(damaged, warcs)
    assert len(stats.problems) == 1 and "is damaged" in stats.problems[0]
    assert (tmp_path / "index.db.damaged").stat().st_size == 8192
    db = open_index(damaged)
    assert db.execute("select count(*) from captures").fetchone()[0] == 7
    db.close()


def test_index_on_a_read_only_data_directory_is_a_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    crawl_demo(data / "warc", None)
    cli = [sys.executable, "-m", "crawler.cli"]
    for extra in ([], ["--rebuild"]):
        view = tmp_path / f"ro{len(extra)}"
        done = read_only_view(data, view, [*cli, "index", "--no-progress", "--data", str(view), *extra])
        assert done.returncode == 1, done.stderr
        assert f"Error: cannot write the index in {view}" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


def test_a_file_read_again_keeps_the_responses_paired_from_earlier_files(tmp_path: Path) -> None:
    """A response in file A, its metadata rolled over into B: reading B again (its size
    changed, or two index runs overlapped) found the response nowhere, as the first run had
    paired it. The capture lost its response position and the index disagreed with a rebuild."""
    warcs = tmp_path / "warcs"
    crawl = Crawl(warcs, None, max_size=2500)
    padding = os.urandom(1500).hex().encode()  # the response fills file A
    harbour = crawl.fetch("/news/harbour", b"<html><body>" + padding + b"</body></html>",
                          meta=metadata("/news/harbour", article=article_dict("The wall fell.")))
    market = crawl.article("/news/market", "A quiet day at the market.")
    crawl.writer.close()
    assert harbour and market and harbour.response and harbour.metadata_position
    assert harbour.response.file != harbour.metadata_position.file
    db = open_index(tmp_path / "index.db")
    index_warc_directory(db, warcs)
    later = warcs / harbour.metadata_position.file
    with later.open("ab") as grown:  # re-copied, or grown: the file is read again
        grown.write(later.read_bytes()[-100:])
    stats = index_warc_directory(db, warcs)
    assert stats.files_indexed == 1
    row = db.execute("select warc_file, warc_offset from articles where url like '%/harbour'").fetchone()
    db.close()
    assert row == (harbour.response.file, harbour.response.offset)
    rebuilt = open_index(tmp_path / "rebuilt.db")
    index_warc_directory(rebuilt, warcs)
    rebuilt.close()
    assert dump(tmp_path / "rebuilt.db") == dump(tmp_path / "index.db")


def test_one_index_run_at_a_time(tmp_path: Path) -> None:
    """Two rebuilds at once built into one `.rebuild` file and moved each other's half-built
    index over the real one: the crawl runs, kept nowhere else, were lost (7 times in 8)."""
    data = tmp_path / "data"
    crawl_demo(data / "warc", None)
    rebuild_index(data / "index.db", data / "warc")
    db = open_index(data / "index.db")
    run = start_run(db, "demo", "2026-11-28T04:00:00+00:00")
    db.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    with index_lock(data / "index.db"):  # another run holds the index
        with pytest.raises(RuntimeError, match="another `newsarchive index` is running"):
            rebuild_index(data / "index.db", data / "warc")
        for extra in ([], ["--rebuild"]):
            result = subprocess.run(
                [sys.executable, "-m", "crawler.cli", "index", "--no-progress", "--data", str(data),
                 *extra], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
            assert result.returncode == 1 and "another `newsarchive index` is running" in result.stderr
    stats = rebuild_index(data / "index.db", data / "warc")  # free again
    assert stats.captures == 7
    db = open_index(data / "index.db")
    assert [r["id"] for r in db.table("crawl_runs").rows] == [run]
    db.close()


def test_a_warc_file_gone_since_it_was_indexed_is_reported(tmp_path: Path) -> None:
    warcs = tmp_path / "warcs"
    crawl_demo(warcs, None, max_size=3000)
    db = open_index(tmp_path / "index.db")
    index_warc_directory(db, warcs)
    gone = warc_files(warcs)[1]
    gone.unlink()
    stats = index_warc_directory(db, warcs)
    assert stats.problems == [f"{gone.name} was indexed but is no longer in {warcs}: its captures "
                              "point nowhere (restore it, or run `newsarchive index --rebuild`)"]
