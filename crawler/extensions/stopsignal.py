"""Extension: a second SIGTERM within seconds of the first is the same stop request, not "force"."""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType
from typing import Any, Self

from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# SIGTERMs this close together come from one stop: `systemctl stop` (KillMode=control-group)
# signals every process of the unit, the crawl and its scheduler, and the scheduler then
# forwards its own SIGTERM. Scrapy read the second as "force", stopped the reactor without
# closing the spider: no stats, no run recorded, a WARC file left .open.
SAME_STOP_SECONDS = 5.0

Handler = Any  # what signal.getsignal returns: a callable, SIG_DFL, SIG_IGN or None


class RepeatedStopSignal:
    """Stands in front of Scrapy's SIGTERM handler, whichever it is at the moment.

    Scrapy installs its handler when the reactor has started, and swaps it on the first signal
    (graceful stop) for one that forces the stop. Both stay in charge: this one only swallows
    a SIGTERM within SAME_STOP_SECONDS of the first. SIGINT is left alone: Ctrl-C twice is a
    person asking to force it. A SIGTERM later than that still forces, as in Scrapy.
    """

    def __init__(self) -> None:
        self._handler: Handler = None
        self._first: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        from twisted.internet import reactor

        guard = cls()
        # Scrapy installs its handlers in an "after startup" trigger; callLater runs after every
        # startup trigger, so what this one wraps is Scrapy's.
        reactor.callWhenRunning(reactor.callLater, 0, guard.install)  # type: ignore[attr-defined]
        return guard

    def install(self) -> None:
        current = signal.getsignal(signal.SIGTERM)
        if callable(current) and current != self._on_sigterm:
            self._handler = current
            signal.signal(signal.SIGTERM, self._on_sigterm)

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        now = time.monotonic()
        if self._first is not None and now - self._first < SAME_STOP_SECONDS:
            self._log("Received SIGTERM again within %.0f s of the first: the same stop request, "
                      "still stopping gracefully", SAME_STOP_SECONDS)
            return
        if self._first is None:
            self._first = now
        handler = self._handler
        if callable(handler):
            self._call_keeping_our_place(handler, signum, frame)

    def _call_keeping_our_place(self, handler: Handler, signum: int, frame: FrameType | None) -> None:
        """Run Scrapy's handler; the successor it installs for SIGTERM ("force") goes behind
        this one, never in the signal's slot: installed there, even for the moment until this
        one took the slot back, a second SIGTERM landing in that moment forced the stop."""
        install = signal.signal

        def behind_us(signum: int, new: Handler) -> Handler:
            if signum != signal.SIGTERM:
                return install(signum, new)
            previous, self._handler = self._handler, new
            return previous

        signal.signal = behind_us  # type: ignore[assignment]  # main thread only, for one call
        try:
            handler(signum, frame)
        finally:
            signal.signal = install

    @staticmethod
    def _log(message: str, *args: object) -> None:
        # Not from the signal handler itself: the interrupted code may be writing to the same
        # stream (Scrapy logs its own signal messages from the reactor for that reason).
        from twisted.internet import reactor

        reactor.callFromThread(logger.info, message, *args)  # type: ignore[attr-defined]
