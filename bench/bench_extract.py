"""Extraction cost against a bare trafilatura.extract, measured side by side in one process.

    .venv/bin/python bench/bench_extract.py DIR [--rounds 3] [--every 3]

Reads every `*.html` / `*.html.gz` file under DIR (every Nth with --every), then alternates
rounds of `trafilatura.extract` and `archive.extract.extract_article` over the same pages,
timing CPU. Prints each one's best round in ms per page and their ratio: the number that
bounds the crawl's throughput (bench_crawl.py prints the resulting ceiling). Alternating
rounds and keeping the best of each is what keeps the ratio steady on a noisy machine.
"""

from __future__ import annotations

import argparse
import gzip
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

from archive.extract import extract_article


def load(directory: Path, every: int) -> list[tuple[str, bytes]]:
    files = sorted(p for p in directory.rglob("*") if p.name.endswith((".html", ".html.gz")))[::every]
    if not files:
        raise SystemExit(f"{directory}: no .html or .html.gz files")
    return [(f"https://bench.invalid/{p.name}", read(p)) for p in files]


def read(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def ms_per_page(pages: list[tuple[str, bytes]], extract: Callable[[bytes, str], object]) -> float:
    started = time.process_time()
    for url, body in pages:
        extract(body, url)
    return 1000 * (time.process_time() - started) / len(pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--every", type=int, default=1, help="take every Nth page")
    args = parser.parse_args()
    pages = load(args.directory, args.every)

    def bare(body: bytes, url: str) -> object:
        return trafilatura.extract(body, url=url)

    for url, body in pages[:5]:  # warm both: date patterns compile on first use
        bare(body, url)
        extract_article(body, url)
    best_bare = best_ours = float("inf")
    for number in range(1, args.rounds + 1):
        best_bare = min(best_bare, ms_per_page(pages, bare))
        best_ours = min(best_ours, ms_per_page(pages, extract_article))
        print(f"round {number}: best so far trafilatura.extract {best_bare:.1f} ms/page, "
              f"extract_article {best_ours:.1f} ms/page", flush=True)
    ratio = best_ours / best_bare
    print(f"{len(pages)} pages: extract_article costs {ratio:.2f}x a bare trafilatura.extract")


if __name__ == "__main__":
    main()
