"""Run extract_article in long-lived worker processes with a per-page timeout."""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import logging
import multiprocessing
import os
import threading
import time
import weakref
from concurrent.futures import Future

from pebble import ProcessExpired, ProcessPool

# The model only: the crawl process never extracts, and importing trafilatura there cost
# 0.8 s of CPU at every crawl start. Workers import the extractor when they start.
from archive.extraction.model import ArticleExtraction, ExtractionHints

logger = logging.getLogger(__name__)

_WARM_UP_PAGE = (
    b"<html lang='en'><head><title>Warm-up | Site</title>"
    b"<meta property='article:published_time' content='2024-01-02T03:04:05+00:00'></head>"
    b"<body><article><h1>Warm-up</h1><p>" + b"Words to compile the patterns once. " * 20
    + b"</p><p>Published 2 January 2024.</p></article></body></html>"
)


def _warm_up() -> None:
    # A signal to the crawl's whole process group (kill -- -PGID, timeout(1), a terminal's
    # job control) killed the workers mid-page while the crawl itself stopped cleanly: the
    # pages in flight came out "worker died" and the pool broke. The crawl stops them itself.
    os.setpgrp()
    # A fresh process spends its first pages compiling trafilatura's and htmldate's
    # patterns; do it once here, outside any page's timeout.
    from archive.extract import extract_article

    extract_article(_WARM_UP_PAGE, "http://warm-up.invalid/2024/01/02/warm-up")
    # A page allocates many short-lived objects (element proxies, strings) that form no
    # cycles worth chasing, and Python's default threshold (700 allocations) runs the
    # cycle collector again and again within a page. Rarer runs saved 2.5-3% of
    # extract_article's CPU on real pages: 20.5 -> 20.0 ms a page with (50000, 20, 20),
    # 20.3 with (50000, 10, 10) (best of 3 interleaved rounds on 265 dev pages).
    gc.set_threshold(50_000, 20, 20)


def _started() -> None:
    """A task that does nothing: scheduling it makes pebble start the workers."""


def _extract(body: bytes, url: str, hints: ExtractionHints | None) -> ArticleExtraction:
    from archive.extract import extract_article  # imported once per worker by _warm_up

    return extract_article(body, url, hints)


# How often the pool's own threads are checked: a pool whose thread died takes no more pages
# and never settles the ones it holds, and a crawl awaiting them waited for ever.
_WATCH_INTERVAL = 0.5
# A watch that woke this much later than it asked slept with the whole process (SIGSTOP, a
# suspended machine): the time it missed is nobody's stall.
_OVERSLEPT = 5.0
# Thread -> why it died ("ValueError: ..."), for the threads that died of an exception.
_thread_deaths: weakref.WeakKeyDictionary[threading.Thread, str] = weakref.WeakKeyDictionary()
_previous_excepthook = threading.excepthook


def _log_thread_death(args: threading.ExceptHookArgs) -> None:
    """pebble's loop threads die of any exception but BrokenProcessPool, and Python's own hook
    printed the traceback on stderr, which a crawl logging to a file never kept: the cause of a
    broken pool was lost. Log it (and remember it for the pool's own message)."""
    if args.exc_type is SystemExit:  # a thread that chose to end (Python's hook is silent too)
        return
    if args.thread is not None:
        _thread_deaths[args.thread] = f"{args.exc_type.__name__}: {args.exc_value}"
    name = args.thread.name if args.thread is not None else "?"
    logger.critical("thread %s died", name, exc_info=args.exc_value)
    if _previous_excepthook not in (threading.__excepthook__, _log_thread_death):
        _previous_excepthook(args)  # somebody's own hook (an error reporter) still hears of it


def _log_thread_deaths() -> None:
    global _previous_excepthook
    if threading.excepthook is not _log_thread_death:
        _previous_excepthook = threading.excepthook
        threading.excepthook = _log_thread_death


def _why_broken(pool: ProcessPool) -> str:
    # pebble keeps its three threads in _loops and says only "Unexpected error within the Pool".
    causes = [f"pebble's thread {t.name} died: {_thread_deaths[t]}"
              for t in getattr(pool, "_loops", ()) if t in _thread_deaths]
    # Otherwise pebble stopped it itself: a result it could not load (AttributeError,
    # TypeError), a pipe that failed, every worker gone.
    return "; ".join(causes) or "pebble found it broken (BrokenProcessPool)"


class ExtractionPool:
    """A pool of extraction workers; a page that overruns its timeout gets its worker killed.

    Futures never raise: a timeout gives status "timeout", a crash or an exception
    in the worker gives status "error", each with a reason. The futures are plain
    concurrent.futures ones, so asyncio code awaits them with asyncio.wrap_future
    (tested under Twisted's asyncio reactor). Workers are spawned, so they import the
    caller's main module: a script that creates a pool keeps its work under
    `if __name__ == "__main__":` (Scrapy's entry point does).

    A pebble pool breaks for good when one of its own threads dies (an exception pebble does
    not expect), and then neither takes pages nor settles those it holds. A thread watches
    for that: the pages held fail ("the extraction pool broke", their responses are archived
    and `index --reextract` extracts them again) and a new pool takes the next pages, `restarts`
    times; after that every page fails at once ("the extraction pool is unusable", `unusable`
    says why). Not more: a pool broken by one of its pages would break again and again.

    A pool whose threads are alive but stuck is as broken, and only time tells it: while
    pages wait, one must end (done, failed or timed out) every `timeout` seconds, plus
    `stall_grace` for a worker's replacement to start. When none has for that long, the pool
    counts as broken too.
    """

    def __init__(self, workers: int | None = None, timeout: float = 30.0, restarts: int = 1,
                 stall_grace: float = 60.0) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.timeout = timeout
        self.restarts = restarts
        self.stall_grace = stall_grace
        # When a page last ended, or the first of the pages now waiting came.
        self._progress = time.monotonic()
        self.breaks = 0  # pools that broke
        self.unusable: str | None = None  # why no page is extracted any more
        _log_thread_deaths()
        self._lock = threading.RLock()
        # pebble's futures not settled yet, with the future handed out for each and its URL.
        self._waiting: dict[Future[ArticleExtraction], tuple[Future[ArticleExtraction], str]] = {}
        self._pool: ProcessPool | None = self._start_pool()
        self._closed = threading.Event()
        self._watch = threading.Thread(target=self._watch_pool, name="extraction-pool-watch",
                                       daemon=True)
        self._watch.start()

    def _start_pool(self) -> ProcessPool:
        # spawn, not fork: the caller may run a reactor with threads, and a forked
        # child would inherit their locks in whatever state they were.
        pool = ProcessPool(
            max_workers=self.workers,
            initializer=_warm_up,
            context=multiprocessing.get_context("spawn"),
        )
        # pebble starts its workers at the first task. A crawl's first article would then
        # wait for them to spawn, import the extractor and warm up (about 2 s of the first
        # seconds of a crawl extracted almost nothing): start them now, while the crawl
        # fetches robots.txt and its feeds.
        pool.schedule(_started)
        return pool

    def submit(
        self, body: bytes, url: str, hints: ExtractionHints | None = None
    ) -> Future[ArticleExtraction]:
        outcome: Future[ArticleExtraction] = Future()
        with self._lock:
            task = self._schedule(body, url, hints)
            if not self._waiting:  # the pool was idle: that time is no stall
                self._progress = time.monotonic()
            if task is None:
                outcome.set_result(ArticleExtraction.failed(
                    "error", f"the extraction pool is unusable: {self.unusable or 'it is closed'}"))
                return outcome
            self._waiting[task] = (outcome, url)
        task.add_done_callback(self._settle)
        # A caller that gives up on the page (asyncio cancellation) frees the worker.
        outcome.add_done_callback(lambda f: task.cancel() if f.cancelled() else None)
        return outcome

    def _schedule(
        self, body: bytes, url: str, hints: ExtractionHints | None
    ) -> Future[ArticleExtraction] | None:
        """The page's task in the pool (the lock held), or None when there is no usable pool."""
        for _ in range(2):
            if self._pool is None:
                return None
            try:
                return self._pool.schedule(_extract, args=(body, url, hints), timeout=self.timeout)
            except RuntimeError:  # broken since the watch last looked: a new one, if one is due
                self._pool_broke()
        return None

    def _settle(self, done: Future[ArticleExtraction]) -> None:
        with self._lock:
            waiting = self._waiting.pop(done, None)
            self._progress = time.monotonic()
        if waiting is None:  # failed already: its pool broke
            return
        outcome, url = waiting
        _resolve(outcome, self._result(done, url))

    def _result(self, done: Future[ArticleExtraction], url: str) -> ArticleExtraction:
        try:
            return done.result()
        except concurrent.futures.TimeoutError:
            logger.warning("extraction timed out after %.1fs: %s", self.timeout, url)
            return ArticleExtraction.failed(
                "timeout", f"extraction took longer than {self.timeout:g}s; worker replaced"
            )
        except concurrent.futures.CancelledError:
            return ArticleExtraction.failed("error", "extraction cancelled (pool closed)")
        except ProcessExpired as exc:
            logger.error("extraction worker died on %s: %s", url, exc)
            return ArticleExtraction.failed("error", f"worker died: {exc}")
        except Exception as exc:  # the worker's own exception, re-raised here by pebble
            logger.exception("extraction failed on %s", url)
            return ArticleExtraction.failed("error", f"{type(exc).__name__}: {exc}")

    def _watch_pool(self) -> None:
        woke = time.monotonic()
        while not self._closed.wait(_WATCH_INTERVAL):
            slept, woke = time.monotonic() - woke, time.monotonic()
            with self._lock:
                if self._pool is None or self._closed.is_set():
                    continue
                if not self._pool.active:
                    self._pool_broke()
                elif slept > _WATCH_INTERVAL + _OVERSLEPT:
                    self._progress = woke
                elif self._waiting and woke - self._progress > self.timeout + self.stall_grace:
                    self._pool_broke(
                        f"no page ended in {woke - self._progress:.0f}s while {len(self._waiting)} "
                        f"waited (timeout {self.timeout:g}s): pebble's threads are stuck")

    def _pool_broke(self, why: str | None = None) -> None:
        """The pool is broken (the lock held): fail the pages it holds, start the next one."""
        assert self._pool is not None
        broken, why = self._pool, why or _why_broken(self._pool)
        self._progress = time.monotonic()
        self.breaks += 1
        waiting, self._waiting = self._waiting, {}
        if self.breaks > self.restarts:
            self._pool, self.unusable = None, why
            logger.error("the extraction pool is unusable, every page from now on fails: %s "
                         "(%d page(s) it held failed)", why, len(waiting))
        else:
            logger.error("the extraction pool broke, starting a new one: %s (%d page(s) it held "
                         "failed)", why, len(waiting))
            self._pool = self._start_pool()
        failed = ArticleExtraction.failed(
            "error", f"the extraction pool broke while the page waited ({why}); its response is "
                     "archived: `newsarchive index --rebuild --reextract` extracts it again")
        for outcome, _ in waiting.values():
            _resolve(outcome, failed)
        # Its workers are still running: stopped aside, where a stop that hangs hangs nobody.
        threading.Thread(target=_stop, args=(broken,), name="extraction-pool-stop",
                         daemon=True).start()

    def close(self) -> None:
        """Finish the queued pages, then stop the workers."""
        self._closed.set()
        self._watch.join()
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
            pool.join()  # returns early when the pool breaks
        self._fail_waiting("the extraction pool was closed before the page was extracted")

    def _fail_waiting(self, reason: str) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, {}
        for outcome, _ in waiting.values():
            _resolve(outcome, ArticleExtraction.failed("error", reason))

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        if exc_type is None:
            self.close()
            return
        # Leaving on an error or a Ctrl-C: the queued pages are not wanted any more, and
        # close() made an interrupted `index --reextract` extract every one of them first.
        # Each is cancelled (its future says so); pebble's stop() alone left them pending.
        self._closed.set()
        self._watch.join()
        with self._lock:
            pool, self._pool = self._pool, None
            queued = list(self._waiting)
        for task in queued:
            task.cancel()
        if pool is not None:
            _stop(pool)
        self._fail_waiting("extraction cancelled (pool closed)")


def _resolve(outcome: Future[ArticleExtraction], result: ArticleExtraction) -> None:
    with contextlib.suppress(concurrent.futures.InvalidStateError):  # cancelled meanwhile
        outcome.set_result(result)


def _stop(pool: ProcessPool) -> None:
    pool.stop()
    pool.join()
