"""Serve The Demo Times in the foreground: python -m archive.demosite [--port N] [--articles N]."""

from __future__ import annotations

import argparse
import contextlib
import threading
from datetime import datetime

from archive.demosite.server import DemoSite


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0-65535)")
    return port


def _delay(text: str) -> float:
    delay = float(text)
    if not delay >= 0:  # (also refuses nan)
        raise argparse.ArgumentTypeError(f"{text} is not a delay (seconds, 0 or more)")
    return delay


def _now(text: str) -> datetime:
    now = datetime.fromisoformat(text)
    if now.utcoffset() is None:  # read as the machine's local time otherwise
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset (e.g. 2026-01-01T00:00+00:00)")
    return now


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archive.demosite",
                                     description="Serve the bundled demo news site.")
    parser.add_argument("--port", type=_port, default=0, help="port to bind (0 picks a free one)")
    parser.add_argument("--articles", type=int, default=64, help="number of articles")
    parser.add_argument("--seed", type=int, default=1, help="random seed for the content")
    parser.add_argument("--delay", type=_delay, default=0.0, help="seconds to wait per response")
    parser.add_argument("--furniture", choices=["light", "full"], default="light",
                        help="'full' adds the weight of a real news page (menus, rails, scripts)")
    parser.add_argument("--now", type=_now,
                        help="the site's clock, ISO 8601 with offset (default: the current time); "
                             "articles are dated back from it")
    args = parser.parse_args(argv)
    try:
        site = DemoSite(n_articles=args.articles, seed=args.seed, delay=args.delay,
                        port=args.port, furniture=args.furniture, now=args.now)
    except ValueError as exc:  # too few articles
        parser.error(str(exc))
    try:
        site.start()
    except OSError as exc:  # the port is taken (a demo site already running there?)
        parser.error(f"cannot serve on 127.0.0.1:{args.port}: {exc}")
    with site:
        print(site.url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
