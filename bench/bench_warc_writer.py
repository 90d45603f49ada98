"""Benchmark: our WarcFileWriter against warcio's bare WARCWriter on the same exchanges.

Both write the same ~50 KB HTML responses and their requests as gzip WARC/1.1, one fsync per
exchange, into the same directory; rounds are interleaved so both see the same machine load.
Prints records/s and MB/s (HTTP message bytes archived per second) for each, and the ratio.
Then the cost of one gzip member per body with the standard zlib and with zlib-ng (what
our writer uses), side by side at several levels. `--corpus DIR` takes the bodies from a directory
of real pages (`.html` or `.html.gz`) instead of generating them.

    .venv/bin/python bench/bench_warc_writer.py [--exchanges 300] [--rounds 3] [--dir DIR]
        [--corpus ../shared/corpus/wcxb-dev/html]
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import random
import statistics
import tempfile
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter
from zlib_ng import zlib_ng

from archive.warc import HttpRequestData, HttpResponseData, WarcFileWriter

Exchange = tuple[HttpRequestData, HttpResponseData]


def html_page(size: int, rng: random.Random) -> bytes:
    """A news-like page: repetitive markup (navigation, teasers, scripts) around prose."""
    vocabulary = ["".join(rng.choice("etaoinshrdlucmfwypvbgk") for _ in range(rng.randint(2, 10)))
                  for _ in range(500)]

    def words(n: int) -> str:
        return " ".join(rng.choice(vocabulary) for _ in range(n))

    sections = [words(1) for _ in range(40)]
    nav = "".join(f'<li class="nav__item nav__item--{s}"><a class="nav__link" '
                  f'href="https://news.example.org/{s}/" data-track="nav">{s.title()}</a></li>\n'
                  for s in sections)
    parts = ['<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Story</title>'
             '<meta name="viewport" content="width=device-width, initial-scale=1">'
             '<link rel="stylesheet" href="/static/site.css"><script async '
             'src="/static/analytics.js"></script></head><body><header class="site-header">'
             f'<nav class="nav"><ul class="nav__list">{nav}</ul></nav></header><main><article>']
    size_so_far = sum(map(len, parts))
    while size_so_far < size:
        if rng.random() < 0.5:
            part = f'<p class="story-body__text">{words(rng.randint(20, 60)).capitalize()}.</p>\n'
        else:
            section = rng.choice(sections)
            part = (f'<div class="teaser teaser--small"><a class="teaser__link" href="https://'
                    f'news.example.org/{section}/{rng.randint(1, 99999)}" data-track="teaser">'
                    f'<img class="teaser__image" src="/img/{rng.randint(1, 9999)}.jpg" '
                    f'alt="" loading="lazy"><h3 class="teaser__title">{words(8)}</h3></a></div>\n')
        parts.append(part)
        size_so_far += len(part)
    parts.append(f"</article></main><footer>{nav}</footer></body></html>")
    return "".join(parts).encode()


def load_pages(directory: Path) -> list[bytes]:
    files = sorted(p for p in directory.iterdir() if p.name.endswith((".html", ".html.gz")))
    if not files:
        raise SystemExit(f"--corpus {directory}: no .html or .html.gz files there")
    return [gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes() for p in files]


def make_exchanges(count: int, page_size: int, corpus: Path | None = None) -> list[Exchange]:
    rng = random.Random(42)
    pages = load_pages(corpus) if corpus else [html_page(page_size, rng) for _ in range(20)]
    now = datetime.now(UTC)
    exchanges = []
    for i in range(count):
        url = f"https://news.example.org/2026/11/28/story-{i}?ref=rss"
        body = pages[i % len(pages)]
        request = HttpRequestData("GET", url, [
            ("Host", "news.example.org"), ("User-Agent", "newsarchive/0.1 (+https://example.org)"),
            ("Accept", "text/html,application/xhtml+xml"), ("Accept-Encoding", "gzip, deflate"),
        ])
        response = HttpResponseData(url, 200, "OK", [
            ("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
            ("Cache-Control", "max-age=60"), ("Set-Cookie", f"s={i}; Path=/"),
        ], body, now, ip_address="203.0.113.7")
        exchanges.append((request, response))
    return exchanges


def http_bytes(exchanges: list[Exchange]) -> int:
    """HTTP message bytes archived (bodies plus an estimate of the header blocks)."""
    return sum(len(resp.body) + len(req.body) + sum(len(k) + len(v) + 4 for k, v in
               resp.headers + req.headers) for req, resp in exchanges)


def run_ours(directory: Path, exchanges: list[Exchange], fsync: bool = True) -> Path:
    with WarcFileWriter(directory, prefix="ours", fsync=fsync) as writer:
        for request, response in exchanges:
            writer.write_exchange(request, response)
    return directory / writer.files_written[-1]


def run_warcio(directory: Path, exchanges: list[Exchange], fsync: bool = True) -> Path:
    path = directory / f"warcio-{time.monotonic_ns()}.warc.gz"
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True, warc_version="1.1")
        for request, response in exchanges:
            resp_http = StatusAndHeaders(f"{response.status} {response.reason}",
                                         list(response.headers), protocol="HTTP/1.1")
            req_http = StatusAndHeaders(f"/2026?ref=rss {request.http_version}",
                                        list(request.headers), protocol=request.method)
            resp = writer.create_warc_record(
                response.url, "response", payload=io.BytesIO(response.body),
                length=len(response.body), http_headers=resp_http,
                warc_headers_dict={"WARC-IP-Address": response.ip_address or ""})
            req = writer.create_warc_record(
                request.url, "request", payload=io.BytesIO(request.body),
                length=len(request.body), http_headers=req_http)
            writer.write_request_response_pair(req, resp)
            f.flush()
            if fsync:
                os.fsync(f.fileno())  # the same durability as ours: one fsync per exchange
    return path


Runner = Callable[[Path, list[Exchange], bool], Path]
VARIANTS: list[tuple[str, Runner, bool]] = [
    ("WarcFileWriter (gzip 6)", run_ours, True),
    ("warcio WARCWriter (gzip 9)", run_warcio, True),
    ("WarcFileWriter, no fsync", run_ours, False),
    ("warcio WARCWriter, no fsync", run_warcio, False),
]


def timed(run: Runner, directory: Path, exchanges: list[Exchange], fsync: bool) -> tuple[float, int]:
    start = time.perf_counter()
    path = run(directory, exchanges, fsync)
    elapsed = time.perf_counter() - start
    size = path.stat().st_size
    path.unlink()
    return elapsed, size


def compare_gzip(bodies: list[bytes], rounds: int) -> None:
    """CPU per body of one gzip member: the standard zlib at level 6 against zlib-ng at the
    levels around the crawl's (WARC_GZIP_LEVEL), interleaved."""
    variants = {"zlib 6": (zlib, 6), "zlib-ng 6": (zlib_ng, 6), "zlib-ng 5": (zlib_ng, 5),
                "zlib-ng 4": (zlib_ng, 4)}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    size: dict[str, int] = {}
    for _ in range(rounds):
        for name, (module, level) in variants.items():
            start, out = time.process_time(), 0
            for body in bodies:
                compressor = module.compressobj(level, module.DEFLATED, module.MAX_WBITS | 16)
                out += len(compressor.compress(body) + compressor.flush())
            cpu[name].append((time.process_time() - start) / len(bodies))
            size[name] = out
    raw = sum(map(len, bodies))
    base = "zlib 6"
    for name in variants:
        ratio = min(cpu[name]) / min(cpu[base])
        print(f"  gzip {name:9} {min(cpu[name]) * 1000:6.2f} ms CPU per body ({ratio:.2f}x {base}),"
              f" compressed to {size[name] / raw:.4f} of {raw / len(bodies) / 1000:.0f} KB"
              f" ({size[name] / size[base]:.3f}x the bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--page-size", type=int, default=50_000)
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to write (default: a temporary directory)")
    parser.add_argument("--corpus", type=Path, default=None,
                        help="real pages (.html or .html.gz) to use as bodies, cycled")
    args = parser.parse_args()

    exchanges = make_exchanges(args.exchanges, args.page_size, args.corpus)
    megabytes = http_bytes(exchanges) / 1e6
    records = 2 * len(exchanges)
    times: dict[str, list[float]] = {label: [] for label, _, _ in VARIANTS}
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        directory = Path(tmp)
        for _, run, fsync in VARIANTS:  # warm up imports and caches
            timed(run, directory, exchanges[:20], fsync)
        for _ in range(args.rounds):
            for label, run, fsync in VARIANTS:
                elapsed, sizes[label] = timed(run, directory, exchanges, fsync)
                times[label].append(elapsed)

    body_kb = statistics.mean(len(r.body) for _, r in exchanges) / 1000
    print(f"{len(exchanges)} exchanges ({records} records, {megabytes:.1f} MB of HTTP messages, "
          f"~{body_kb:.0f} KB HTML bodies), median of {args.rounds} interleaved rounds")
    rates = {}
    for label, _, fsync in VARIANTS:
        elapsed = statistics.median(times[label])
        rates[label] = records / elapsed
        print(f"  {label:28} {rates[label]:8.0f} records/s  {megabytes / elapsed:7.1f} MB/s  "
              f"file {sizes[label] / 1e6:.2f} MB" + ("  (fsync per exchange)" if fsync else ""))
    with_fsync = rates[VARIANTS[0][0]] / rates[VARIANTS[1][0]]
    cpu_only = rates[VARIANTS[2][0]] / rates[VARIANTS[3][0]]
    print(f"  ratio ours/warcio, fsync included: {with_fsync:.2f} (target >= 0.8); "
          f"without fsync: {cpu_only:.2f}")
    compare_gzip(list({id(r.body): r.body for _, r in exchanges}.values()), args.rounds)


if __name__ == "__main__":
    main()
