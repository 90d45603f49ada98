"""Run extract_article in long-lived worker processes with a per-page timeout."""

from __future__ import annotations

import concurrent.futures
import gc
import logging
import multiprocessing
import os
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


class ExtractionPool:
    """A pool of extraction workers; a page that overruns its timeout gets its worker killed.

    Futures never raise: a timeout gives status "timeout", a crash or an exception
    in the worker gives status "error", each with a reason. The futures are plain
    concurrent.futures ones, so asyncio code awaits them with asyncio.wrap_future
    (tested under Twisted's asyncio reactor). Workers are spawned, so they import the
    caller's main module: a script that creates a pool keeps its work under
    `if __name__ == "__main__":` (Scrapy's entry point does).
    """

    def __init__(self, workers: int | None = None, timeout: float = 30.0) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.timeout = timeout
        # spawn, not fork: the caller may run a reactor with threads, and a forked
        # child would inherit their locks in whatever state they were.
        self._pool = ProcessPool(
            max_workers=self.workers,
            initializer=_warm_up,
            context=multiprocessing.get_context("spawn"),
        )
        # pebble starts its workers at the first task. A crawl's first article would then
        # wait for them to spawn, import the extractor and warm up (about 2 s of the first
        # seconds of a crawl extracted almost nothing): start them now, while the crawl
        # fetches robots.txt and its feeds.
        self._pool.schedule(_started)
        self._queued: set[Future[ArticleExtraction]] = set()  # pebble's futures not done yet

    def submit(
        self, body: bytes, url: str, hints: ExtractionHints | None = None
    ) -> Future[ArticleExtraction]:
        outcome: Future[ArticleExtraction] = Future()
        try:
            task = self._pool.schedule(_extract, args=(body, url, hints), timeout=self.timeout)
        except RuntimeError as exc:  # the pool is stopped or broken (its workers were killed)
            logger.error("extraction pool unusable, %s not extracted: %s", url, exc)
            outcome.set_result(ArticleExtraction.failed("error", f"extraction pool unusable: {exc}"))
            return outcome

        def settle(done: Future[ArticleExtraction]) -> None:
            self._queued.discard(done)
            if not outcome.cancelled():
                outcome.set_result(self._settle(done, url))

        self._queued.add(task)
        task.add_done_callback(settle)
        # A caller that gives up on the page (asyncio cancellation) frees the worker.
        outcome.add_done_callback(lambda f: task.cancel() if f.cancelled() else None)
        return outcome

    def _settle(self, done: Future[ArticleExtraction], url: str) -> ArticleExtraction:
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

    def close(self) -> None:
        """Finish the queued pages, then stop the workers."""
        self._pool.close()
        self._pool.join()

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        if exc_type is None:
            self.close()
            return
        # Leaving on an error or a Ctrl-C: the queued pages are not wanted any more, and
        # close() made an interrupted `index --reextract` extract every one of them first.
        # Each is cancelled (its future says so); pebble's stop() alone left them pending.
        for task in list(self._queued):
            task.cancel()
        self._pool.stop()
        self._pool.join()
