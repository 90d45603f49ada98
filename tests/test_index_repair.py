"""The index from WARC files after what real archives go through: a salvage that cut records,
files read again, grown, renamed or gone, an upgrade, a damaged or read-only index, two runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from archive.index.database import open_index
from archive.index.rebuild import index_warc_directory
from archive.index.replace import index_lock, rebuild_index
from archive.index.runs import start_run
from archive.warc.reader import read_record, warc_files
from archive.warc.salvage import salvage_directory
from tests.conftest import ROOT
from tests.index_docs import (
    BASE,
    PAGE,
    Crawl,
    article_dict,
    crawl_demo,
    dump,
    metadata,
    read_only_view,
)


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


def test_a_salvage_that_cuts_the_free_version_shown_shows_the_earlier_free_one_not_a_teaser(
    tmp_path: Path,
) -> None:
    # The row was given back to the latest remaining capture: a paywall's teaser, where
    # `index --rebuild` showed the earlier free text.
    warcs = tmp_path / "warcs"
    live = open_index(tmp_path / "live.db")
    crawl = Crawl(warcs, live)
    first = crawl.article("/news/harbour", "The old harbour wall collapsed.")
    cut = crawl.article("/news/harbour", "The old harbour wall collapsed. Update: repairs.")
    crawl.fetch("/news/harbour", PAGE.encode(), meta=metadata(
        "/news/harbour", article=article_dict("Subscribe to read on.", gated=True)))
    crawl.article("/news/market", "A quiet day at the market.")
    crawl.writer.close()
    assert first and first.response and cut and cut.response
    (path,) = warcs.glob("*.warc.gz")
    data = bytearray(path.read_bytes())
    data[cut.response.offset + cut.response.length // 2] ^= 0xFF
    path.unlink()
    path.with_name(path.name + ".open").write_bytes(bytes(data))
    salvage_directory(warcs)
    stats = index_warc_directory(live, warcs)
    assert sum("no longer in the file" in p for p in stats.problems) == 1, stats.problems
    assert live.execute("select text, gated, warc_offset, versions from articles "
                        "where url like '%harbour'").fetchall() == [
        ("The old harbour wall collapsed.", 0, first.response.offset, 2)]
    live.close()
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
        "archiv-caf\\xe9.warc.gz: the file name is not UTF-8; rename the file to index it"
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


def test_a_rebuild_keeps_what_a_crawl_wrote_while_it_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crawl that wrote during a long rebuild: its articles were in the old index and the
    WARC files, not in the new index, and the swap lost them (until a later `index`)."""
    from archive.index import replace

    warcs = tmp_path / "warcs"
    live = open_index(tmp_path / "index.db")
    before = Crawl(warcs, live)
    before.article("/news/before", "Written before the rebuild.")
    before.writer.close()
    real = replace.index_warc_directory
    calls = []

    def rebuild_while_a_crawl_writes(*args: Any, **kwargs: Any) -> Any:
        stats = real(*args, **kwargs)
        if not calls:  # the crawl writes its new file, and indexes it live, meanwhile
            crawling = open_index(tmp_path / "index.db")
            during = Crawl(warcs, crawling)
            during.article("/news/during", "Written while the rebuild ran.")
            during.writer.close()
            crawling.close()
        calls.append(stats)
        return stats

    monkeypatch.setattr(replace, "index_warc_directory", rebuild_while_a_crawl_writes)
    live.execute("insert into job_leases (name, token, host, pid, acquired, expires) "
                 "values ('crawl:demo', 't', 'h', 1, '2026-11-28T00:00:00+00:00', 0)")
    live.conn.commit()
    live.close()
    stats = replace.rebuild_index(tmp_path / "index.db", warcs)
    assert len(calls) == 2 and stats.problems == []
    db = open_index(tmp_path / "index.db")
    assert {r["url"] for r in db.table("articles").rows} == {BASE + "/news/before", BASE + "/news/during"}
    # The lease of a run still open goes with the runs: a SIGKILLed crawl's run is closed
    # as failed through it (without it the run stayed `running` for ever).
    assert [r["name"] for r in db.table("job_leases").rows] == ["crawl:demo"]


def test_a_warc_file_not_read_fails_the_run_that_finds_it_not_every_run(tmp_path: Path) -> None:
    """An uncompressed WARC file (or one in a subfolder, or not named in UTF-8) made every
    `newsarchive index` exit 1, and the scheduled index task warn at every turn, until the
    operator moved it: one they keep on purpose (another tool's .warc) made every run a
    failure. Reported (exit 1) when found, and again when it changes; while it stays as it
    was, each run names it as known and exits 0."""
    import gzip

    from click.testing import CliRunner

    from crawler.cli import main

    data = tmp_path / "data"
    crawl_demo(data / "warc", None)
    (path,) = (data / "warc").glob("*.warc.gz")
    plain = data / "warc" / "other-tool.warc"
    plain.write_bytes(gzip.decompress(path.read_bytes()))
    (data / "warc" / "2025").mkdir()
    filed = data / "warc" / "2025" / "x.warc.gz"
    filed.write_bytes(path.read_bytes())

    def index() -> tuple[int, list[str]]:
        result = CliRunner().invoke(main, ["index", "--no-progress", "--data", str(data)])
        return result.exit_code, result.output.splitlines()[1:]

    plain_problem = ("other-tool.warc: an uncompressed WARC file is not read (only .warc.gz, "
                     "one gzip member per record): `warcio recompress other-tool.warc "
                     "other-tool.warc.gz` makes one")
    filed_problem = ("2025/x.warc.gz: a WARC file in a subfolder is not read (only warc/'s own "
                     "files are): move it up beside the others")
    assert index() == (1, [f"problem: {filed_problem}", f"problem: {plain_problem}"])
    known = "known problem (reported before; the file has not changed since): "
    assert index() == (0, [f"{known}{filed_problem}", f"{known}{plain_problem}"])
    with plain.open("ab") as f:  # it changed: worth a look again
        f.write(b"\r\n")
    assert index() == (1, [f"{known}{filed_problem}", f"problem: {plain_problem}"])
    filed.unlink()
    assert index() == (0, [f"{known}{plain_problem}"])
    filed.write_bytes(path.read_bytes())  # back again: found anew
    assert index()[0] == 1


def test_unread_files_whose_names_are_not_utf8_are_reported_and_told_apart(tmp_path: Path) -> None:
    """An unread file not named in UTF-8 (in a subfolder, or uncompressed) crashed the run
    with a UnicodeEncodeError when it was remembered in unread_files, and two whose names
    differ only in such bytes were one name there (a UNIQUE constraint failure)."""
    warcs = tmp_path / "warcs"
    crawl_demo(warcs, None)
    (warcs / "2025").mkdir()
    for raw in (b"/2025/caf\xe9.warc.gz", b"/caf\xe9.warc", b"/caf\xe8.warc.gz", b"/caf\xe9.warc.gz"):
        Path(os.fsdecode(bytes(warcs) + raw)).write_bytes(b"")
    db = open_index(tmp_path / "index.db")
    first = index_warc_directory(db, warcs)
    names = sorted(p.split(":")[0] for p in first.problems)
    assert names == ["2025/caf\\xe9.warc.gz", "caf\\xe8.warc.gz", "caf\\xe9.warc",
                     "caf\\xe9.warc.gz"]
    again = index_warc_directory(db, warcs)
    assert again.problems == [] and sorted(again.known_problems) == sorted(first.problems)
