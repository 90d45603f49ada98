"""Serve The Demo Times in the foreground: python -m archive.demosite [--port N] [--articles N]."""

from __future__ import annotations

import argparse
import contextlib
import threading
from datetime import datetime

from archive.demosite.server import DemoSite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archive.demosite",
                                     description="Serve the bundled demo news site.")
    parser.add_argument("--port", type=int, default=0, help="port to bind (0 picks a free one)")
    parser.add_argument("--articles", type=int, default=64, help="number of articles")
    parser.add_argument("--seed", type=int, default=1, help="random seed for the content")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait per response")
    parser.add_argument("--furniture", choices=["light", "full"], default="light",
                        help="'full' adds the weight of a real news page (menus, rails, scripts)")
    parser.add_argument("--now", type=datetime.fromisoformat,
                        help="the site's clock, ISO 8601 with offset (default: the current time); "
                             "articles are dated back from it")
    args = parser.parse_args(argv)
    try:
        site = DemoSite(n_articles=args.articles, seed=args.seed, delay=args.delay,
                        port=args.port, furniture=args.furniture, now=args.now)
    except ValueError as exc:  # too few articles, a --now without an offset
        parser.error(str(exc))
    with site:
        print(site.url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
