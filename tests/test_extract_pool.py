"""ExtractionPool: pages extract in worker processes; a stuck page times out without stalling the pool."""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.extract import ExtractionHints
from archive.extract_pool import ExtractionPool
from tests.pool_break_support import (
    POISON_ENV,
    POISON_ERROR_ENV,
    RELEASE_STUCK,
    StuckHints,
    poisoned_extract,
)

PAGES = Path(__file__).parent / "data" / "pages"
ARTICLE_URL = "https://coastal-ledger.example/local/harbour-town-sea-wall"


def pathological_page() -> bytes:
    # One tag with 100,000 attributes: trafilatura spends minutes on it.
    attributes = " ".join(f'data-a{i}="v"' for i in range(100_000))
    return f"<html><body><div {attributes}><p>{'word ' * 200}</p></div></body></html>".encode()


@pytest.fixture(scope="module")
def pool() -> Iterator[ExtractionPool]:
    with ExtractionPool(workers=1, timeout=2.0) as extraction_pool:
        yield extraction_pool


def test_workers_start_before_the_first_page() -> None:
    # A crawl creates its pool when the spider opens: the workers must be spawning and
    # warming up from then on, not from the first article (pebble starts them lazily).
    before = set(multiprocessing.active_children())
    with ExtractionPool(workers=2, timeout=5.0):
        deadline = time.monotonic() + 30
        while len(set(multiprocessing.active_children()) - before) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(set(multiprocessing.active_children()) - before) == 2


def test_extracts_in_a_worker(pool: ExtractionPool) -> None:
    body = (PAGES / "news-article.html").read_bytes()
    result = pool.submit(body, ARTICLE_URL).result(timeout=60)
    assert result.status == "ok"
    assert result.title == "Harbour Town Votes to Rebuild Its Flooded Sea Wall"
    assert "Donate now" not in result.text


def test_hints_reach_the_worker(pool: ExtractionPool) -> None:
    body = (PAGES / "dates-none-copyright-footer.html").read_bytes()
    hints = ExtractionHints(feed_published="2023-06-03T06:00:00+00:00")
    result = pool.submit(body, "https://riverside.example/library", hints).result(timeout=60)
    assert (result.published, result.date_source) == ("2023-06-03T06:00:00+00:00", "feed")


def test_stuck_page_times_out_and_the_next_page_still_extracts(pool: ExtractionPool) -> None:
    stuck = pool.submit(pathological_page(), "https://example.com/stuck")
    after = pool.submit((PAGES / "news-article.html").read_bytes(), ARTICLE_URL)
    result = stuck.result(timeout=60)
    assert result.status == "timeout"
    assert result.reason and "2s" in result.reason  # the pool's limit, not trafilatura's minutes
    # Same pool, one worker: it was killed and replaced, and the queue moved on.
    following = after.result(timeout=60)
    assert following.status == "ok"
    assert following.text.startswith("Councillors in Harbour Town")


def test_worker_exception_becomes_an_error_result(pool: ExtractionPool) -> None:
    # A str body is a caller mistake that raises inside the worker; the future
    # must still resolve to a result, not raise.
    result = pool.submit("not bytes", "https://example.com/x").result(timeout=60)  # type: ignore[arg-type]
    assert result.status == "error"
    assert result.reason and "TypeError" in result.reason


def test_awaitable_from_asyncio(pool: ExtractionPool) -> None:
    body = (PAGES / "news-article.html").read_bytes()

    async def crawl_callback() -> str:
        result = await asyncio.wrap_future(pool.submit(body, ARTICLE_URL))
        return result.status

    assert asyncio.run(crawl_callback()) == "ok"


TWISTED_SCRIPT = """
import asyncio, sys
from archive.extract_pool import ExtractionPool
from tests.pool_break_support import (
    POISON_ENV,
    POISON_ERROR_ENV,
    RELEASE_STUCK,
    StuckHints,
    poisoned_extract,
)


async def crawl_callback(pool, body, url):
    result = await asyncio.wrap_future(pool.submit(body, url))
    print(result.status, result.title)


def main():
    from twisted.internet import asyncioreactor
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # as Scrapy does when it installs this reactor
    asyncioreactor.install(loop)
    from twisted.internet import defer, reactor

    pool = ExtractionPool(workers=1, timeout=20)
    body = open(sys.argv[1], "rb").read()

    def run():
        task = loop.create_task(crawl_callback(pool, body, sys.argv[2]))
        d = defer.Deferred.fromFuture(task)
        d.addBoth(lambda _: reactor.stop())

    reactor.callWhenRunning(run)
    reactor.run()
    pool.close()


# Worker processes are spawned: they import the main module, which must not run the crawl.
if __name__ == "__main__":
    main()
"""


def test_works_under_the_twisted_asyncio_reactor(tmp_path: Path) -> None:
    # The crawl runs Scrapy on Twisted's asyncio reactor; a reactor installs once per
    # process, so this runs in its own interpreter.
    script = tmp_path / "crawl.py"
    script.write_text(TWISTED_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script), str(PAGES / "news-article.html"), ARTICLE_URL],
        capture_output=True, text=True, timeout=120,
        cwd=Path(__file__).parent.parent,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok Harbour Town Votes to Rebuild Its Flooded Sea Wall"


def test_the_crawl_process_never_loads_the_extractor() -> None:
    # Extraction happens in the workers only: the crawl process importing trafilatura
    # would cost every crawl start most of a second of CPU for nothing.
    modules = ["crawler.settings", "crawler.spiders.news", "archive.extract_pool"] + [
        f"{package}.{path.stem}"
        for package in ("crawler.middlewares", "crawler.extensions", "pipelines")
        for path in (Path(__file__).parents[1] / package.replace(".", "/")).glob("[a-z]*.py")
    ]
    script = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    # What the extraction pipeline calls for every article, before it hands the page over.
    script += "from archive.capture import hints_from_discovery\nhints_from_discovery([], None, None)\n"
    script += "print(sorted(m for m in ('trafilatura', 'archive.extract') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert len(modules) > 8
    assert loaded.stdout.strip() == "[]"


def test_warm_up_makes_the_cycle_collector_rare() -> None:
    from archive.extract_pool import _warm_up

    before = gc.get_threshold()
    try:
        _warm_up()
        assert gc.get_threshold()[0] >= 10_000
    finally:
        gc.set_threshold(*before)


@pytest.fixture
def poisoned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pools made from now on break on a page whose URL has /poisoned in it (from its worker
    comes a result this process cannot load, which kills pebble's message thread)."""
    monkeypatch.setenv(POISON_ENV, "/poisoned")  # before the pool spawns its workers
    monkeypatch.setattr("archive.extract_pool._extract", poisoned_extract)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # pebble's, on purpose
def test_a_broken_pool_fails_the_pages_in_it_and_is_started_again(
    poisoned: None, caplog: pytest.LogCaptureFixture
) -> None:
    # A pool whose own thread died took no more pages ("Unexpected error within the Pool")
    # and never settled the ones it held: a crawl awaiting them hung, and Ctrl-C did not stop it.
    body = (PAGES / "news-article.html").read_bytes()
    with ExtractionPool(workers=1, timeout=10.0) as pool:
        held = [pool.submit(body, "https://example.com/poisoned")]
        held += [pool.submit(body, f"{ARTICLE_URL}?copy={i}") for i in range(3)]
        for result in (future.result(timeout=10) for future in held):
            assert result.status == "error"
            assert result.reason and result.reason.startswith("the extraction pool broke")
            assert "ValueError: a worker result the crawl process cannot load" in result.reason
        assert pool.breaks == 1 and pool.unusable is None
        assert pool.submit(body, ARTICLE_URL).result(timeout=30).status == "ok"  # a new pool
    # Why the thread died, with its traceback, is in the log and no longer lost on stderr.
    deaths = [r for r in caplog.records if r.getMessage().startswith("thread ") and r.exc_info]
    assert deaths and "_refuse_to_load" in caplog.text


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_pool_that_breaks_again_fails_every_later_page_at_once(poisoned: None) -> None:
    body = (PAGES / "news-article.html").read_bytes()
    with ExtractionPool(workers=1, timeout=10.0) as pool:
        for _ in range(2):
            assert pool.submit(body, "https://example.com/poisoned").result(timeout=10).status == "error"
        assert pool.breaks == 2 and pool.unusable
        started = time.monotonic()
        result = pool.submit(body, ARTICLE_URL).result(timeout=1)
        assert time.monotonic() - started < 0.5
        assert result.status == "error"
        assert result.reason and result.reason.startswith("the extraction pool is unusable")


def test_pages_queued_in_a_pool_pebble_stopped_itself_are_failed_too(
    poisoned: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A result pebble cannot load with an error it expects (AttributeError) makes it abort the
    # pages it had sent to the workers; those still in its queue (pages bigger than the pipe's
    # buffer wait there) were never settled either.
    monkeypatch.setenv(POISON_ERROR_ENV, "AttributeError")
    body = (PAGES / "news-article.html").read_bytes() + b"<!-- padding -->" * 20_000
    with ExtractionPool(workers=1, timeout=10.0) as pool:
        held = [pool.submit(body, "https://example.com/poisoned")]
        held += [pool.submit(body, f"{ARTICLE_URL}?copy={i}") for i in range(8)]
        reasons = [future.result(timeout=10).reason or "" for future in held]
        assert all("BrokenProcessPool" in reason for reason in reasons), reasons
        assert pool.breaks == 1


def test_a_pool_whose_threads_are_stuck_fails_the_pages_in_it_and_is_started_again() -> None:
    # A pool whose own thread is alive but stuck (here the one sending pages to the workers,
    # on a page it cannot pickle) settles no page and times none out: only a dead thread was
    # noticed, and the crawl waited for ever. No page ending for timeout + stall_grace tells.
    body = (PAGES / "news-article.html").read_bytes()
    with ExtractionPool(workers=1, timeout=1.0, stall_grace=1.0) as pool:
        try:
            assert pool.submit(body, ARTICLE_URL).result(timeout=30).status == "ok"
            held = [pool.submit(body, f"{ARTICLE_URL}?stuck", StuckHints())]
            held += [pool.submit(body, f"{ARTICLE_URL}?copy={i}") for i in range(2)]
            for result in (future.result(timeout=20) for future in held):
                assert result.status == "error"
                assert result.reason and "pebble's threads are stuck" in result.reason
            assert pool.breaks == 1 and pool.unusable is None
            assert pool.submit(body, ARTICLE_URL).result(timeout=30).status == "ok"  # a new pool
        finally:
            RELEASE_STUCK.set()  # the stuck thread ends, and with it the old pool
