"""End-to-end crawl throughput against a bare trafilatura loop, measured side by side in one run.

    .venv/bin/python bench/bench_crawl.py --articles 2000
    .venv/bin/python bench/bench_crawl.py --articles 2000 --corpus DIR

Serves a site of N article pages on 127.0.0.1 (in its own process): the demo site with
full page furniture, or with --corpus the saved real pages under DIR (any *.html or
*.html.gz, cycled to N; see bench/corpus_site.py). Then
1. extracts every article page with `trafilatura.extract` in one process (the bare loop),
2. crawls the site with `scrapy crawl demo` (WARC with fsync, extraction pool, index),
3. runs the bare loop again, and takes the faster of its two runs as the reference,
and prints pages/s of both, their ratio, CPU per page spent in the crawl process outside
extraction, and the crawl process's peak memory (run with two sizes to see it stay flat).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# One clock for the demo server and the URL list: each dates its articles back from "now",
# and an article a few seconds from midnight would otherwise get two different paths.
NOW = datetime.now(UTC)


def serve(articles: int, corpus: Path | None) -> tuple[subprocess.Popen[str], str]:
    if corpus is None:
        command = ["-m", "archive.demosite", "--articles", str(articles), "--furniture", "full",
                   "--now", NOW.isoformat()]
    else:
        command = [str(ROOT / "bench" / "corpus_site.py"), str(corpus), "--articles", str(articles)]
    server = subprocess.Popen([sys.executable, *command], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


def article_urls(base: str, articles: int, corpus: Path | None) -> list[str]:
    if corpus is not None:
        from corpus_site import article_path  # bench/ is the script's directory

        return [base + article_path(n) for n in range(articles)]
    from archive.demosite import DemoSite

    manifest = DemoSite(n_articles=articles, now=NOW).manifest
    return [base + a.path for a in manifest.articles]


def site_config(base: str, articles: int, corpus: Path | None) -> str:
    if corpus is not None:
        from corpus_site import site_config as corpus_config

        return corpus_config(base, articles)
    # The demo config, but with every article in reach: `since` would cap a big site's crawl,
    # and the depth and page caps stop the walk through its section pages (the sitemap lists
    # four in five articles, as real sitemaps often leave some out).
    demo = (ROOT / "config" / "sites" / "demo.toml").read_text()
    demo = re.sub(r"(?m)^since = .*$", 'since = "3650d"', demo)
    demo = re.sub(r"(?m)^max_depth = .*$", "max_depth = 1000", demo)
    return re.sub(r"(?m)^max_pages = .*$", f"max_pages = {2 * articles + 100}", demo)


def fetch(url: str) -> bytes:
    try:
        return urllib.request.urlopen(url).read()
    except urllib.error.HTTPError:  # the demo's flaky page answers 500 once
        return urllib.request.urlopen(url).read()


def bare_loop(pages: list[tuple[str, bytes]], ours: bool = False) -> float:
    """Pages/s of one process extracting every page: trafilatura.extract, or our extract_article
    (which also reads metadata, dates and page type, so costs more per page)."""
    import trafilatura

    from archive.extract import extract_article

    started = time.perf_counter()
    for url, body in pages:
        if ours:
            extract_article(body, url)
        else:
            trafilatura.extract(body, url=url)
    return len(pages) / (time.perf_counter() - started)


def crawl(base: str, data: Path, config: str) -> tuple[float, dict[str, object]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    sites = data / "sites"
    sites.mkdir(parents=True)
    (sites / "demo.toml").write_text(config)
    command = [
        sys.executable, "-m", "scrapy", "crawl", "demo", "-a", f"base_url={base}",
        "-s", f"NEWSARCHIVE_DATA={data}", "-s", f"NEWSARCHIVE_SITES={sites}",
        "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "LOG_LEVEL=WARNING", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    ]
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    elapsed = time.perf_counter() - started
    with closing(sqlite3.connect(data / "index.db")) as db:
        stats = json.loads(db.execute("select stats from crawl_runs order by id desc").fetchone()[0])
    return elapsed, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--corpus", type=Path, help="serve the saved pages under this directory instead")
    args = parser.parse_args()
    server, base = serve(args.articles, args.corpus)
    try:
        urls = article_urls(base, args.articles, args.corpus)
        pages = [(u, fetch(u)) for u in urls]
        bare_before = bare_loop(pages)
        bare_ours = bare_loop(pages, ours=True)
        with tempfile.TemporaryDirectory() as tmp:
            elapsed, stats = crawl(base, Path(tmp), site_config(base, args.articles, args.corpus))
        # Once more after the crawl: this machine's speed drifts by up to a quarter within
        # minutes, and the ratio is taken against the faster of the two loops.
        bare_after = bare_loop(pages)
        bare = max(bare_before, bare_after)
    finally:
        server.terminate()
        server.wait()
    articles = int(stats.get("newsarchive/extraction/ok", 0))  # type: ignore[call-overload]
    # Every article page the crawl extracted counts, as every page counts in the bare loop:
    # a page that comes out not_article or empty cost its extraction all the same.
    extracted = sum(int(v) for k, v in stats.items()  # type: ignore[call-overload]
                    if k.startswith("newsarchive/extraction/"))
    responses = int(stats.get("response_received_count", 0))  # type: ignore[call-overload]
    cpu = float(stats.get("newsarchive/main_cpu_seconds", 0.0))  # type: ignore[arg-type]
    cpu_open = float(stats.get("newsarchive/main_cpu_seconds_open", 0.0))  # type: ignore[arg-type]
    end_to_end = extracted / elapsed
    print(f"article pages: {len(pages)}  (crawl fetched {responses} responses, extracted {extracted}"
          f" pages, {articles} of them articles)")
    print(f"bare trafilatura.extract, 1 process: {bare:7.1f} pages/s  (the faster of {bare_before:.1f}"
          f" before and {bare_after:.1f} after the crawl)")
    print(f"end-to-end crawl (WARC+extract+index): {end_to_end:7.1f} pages/s  ({elapsed:.1f} s)")
    print(f"bare archive.extract.extract_article, 1 process: {bare_ours:7.1f} pages/s")
    print(f"ratio end-to-end / bare trafilatura: {end_to_end / bare:.2f}x (target >= 1.7x on 2 cores)")
    print(f"ratio end-to-end / bare extract_article: {end_to_end / bare_ours:.2f}x")
    print(f"crawl process CPU per response (outside extraction): {1000 * cpu / max(responses, 1):.1f} ms"
          f" with start-up, {1000 * cpu_open / max(responses, 1):.1f} ms from spider open to close"
          f" (start-up {cpu - cpu_open:.1f} s)")
    # What the machine allows: every article costs one extract_article in a worker plus the
    # crawl process's own CPU for its response and its share of the others (feeds, sitemaps,
    # section pages), and the cores are shared by both.
    cores = os.cpu_count() or 1
    ceiling = cores / (1 / bare_ours + cpu / max(extracted, 1))
    print(f"CPU-bound ceiling on {cores} cores: {ceiling:.1f} pages/s = {ceiling / bare:.2f}x bare loop")
    print(f"crawl process peak RSS: {int(stats.get('newsarchive/main_peak_rss_kb', 0)) / 1024:.0f} MB")  # type: ignore[call-overload]


if __name__ == "__main__":
    main()
