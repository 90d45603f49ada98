"""Index benchmark (run by hand): apply_capture cost, rebuild speed, search and Datasette latency.

    .venv/bin/python -m bench.index_bench --articles 20000 --dir /tmp/index-bench

Prints, from one run: ms of CPU per article applied (one transaction each, and batched),
captures/s of a rebuild from WARC files, p50/p95 of query.search, and p50/p95 of the
Datasette articles table page (default facets, suggest_facets off) and canned search.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from archive.index import apply_capture, index_warc_directory, open_index, search, transaction
from archive.index.store import CaptureDoc
from archive.warc.records import HttpRequestData, HttpResponseData
from archive.warc.writer import WarcFileWriter

BASE = "http://127.0.0.1:8765"
SITES = ("demo", "harbour-gazette", "city-times", "valley-news")
SECTIONS = ("world", "local", "business", "sport", "culture", "weather")


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 10))) for _ in range(size)]


def article_meta(i: int, rng: random.Random, words: list[str]) -> dict[str, Any]:
    # Zipf-ish word choice, so FTS posting lists look like real text.
    text = " ".join(words[min(int(rng.paretovariate(1.1)) - 1, len(words) - 1)] for _ in range(600))
    published = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=37 * i)
    site = SITES[i % len(SITES)]
    return {
        "newsarchive": 1, "site": site, "url": f"{BASE}/{site}/news/{i}",
        "canonical_url": f"{BASE}/{site}/news/{i}",
        "fetched_at": (published + timedelta(hours=1)).isoformat(), "status": 200,
        "content_type": "text/html; charset=utf-8", "outcome": "article", "reason": None,
        "discovery": {"source": "feed", "title": None, "published": None, "keywords": []},
        "article": {
            "status": "ok", "text": text, "title": " ".join(rng.sample(words[:2000], 8)),
            "authors": ["A. Writer"], "published": published.isoformat(), "modified": None,
            "language": "en", "description": " ".join(rng.sample(words[:5000], 20)),
            "sitename": site, "section": rng.choice(SECTIONS), "tags": [], "image": None,
            "canonical_url": None, "date_candidates": [], "date_source": "json_ld",
            "reason": None,
        },
    }


def write_warcs(warc_dir: Path, metas: list[dict[str, Any]]) -> list[CaptureDoc]:
    docs = []
    with WarcFileWriter(warc_dir, max_size=50_000_000, fsync=False, hostname="bench") as writer:
        for meta in metas:
            url = meta["url"]
            pos = writer.write_exchange(
                HttpRequestData("GET", url, []),
                HttpResponseData(url, 200, "OK", [("Content-Type", "text/html")],
                                 meta["article"]["text"].encode(), datetime.now(UTC)),
            ).response
            mpos = writer.write_metadata(url, json.dumps(meta).encode(), refers_to=pos.record_id)
            docs.append(CaptureDoc(meta, pos, mpos))
    return docs


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def apply_each(db: Any, docs: list[CaptureDoc]) -> None:
    for d in docs:
        apply_capture(db, d)


def timed(fn: Any, *args: Any) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/index-bench"))
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    args.dir.mkdir(parents=True)
    rng = random.Random(7)
    words = vocabulary(rng)
    metas = [article_meta(i, rng, words) for i in range(args.articles)]
    docs = write_warcs(args.dir / "warc", metas)
    n = len(docs)

    single = open_index(args.dir / "single.db")
    sample = docs[: min(n, 2000)]
    wall, cpu = timed(apply_each, single, sample)
    print(f"apply_capture, one transaction each: {cpu / len(sample) * 1000:.2f} ms CPU, "
          f"{wall / len(sample) * 1000:.2f} ms wall per article ({len(sample)} articles)")

    live = open_index(args.dir / "index.db")

    def batched() -> None:
        for start in range(0, n, 500):
            with transaction(live):
                for d in docs[start : start + 500]:
                    apply_capture(live, d)

    wall, cpu = timed(batched)
    print(f"apply_capture, 500 per transaction: {cpu / n * 1000:.2f} ms CPU, "
          f"{wall / n * 1000:.2f} ms wall per article ({n} articles)")
    wall, cpu = timed(apply_each, live, docs[:2000])
    print(f"apply_capture again (idempotent no-op): {wall / 2000 * 1000:.3f} ms wall per article")

    rebuilt = open_index(args.dir / "rebuilt.db")
    wall, cpu = timed(index_warc_directory, rebuilt, args.dir / "warc")
    print(f"rebuild from WARC: {n / wall:.0f} captures/s ({wall:.1f} s wall, {cpu:.1f} s CPU)")
    wall, _ = timed(index_warc_directory, rebuilt, args.dir / "warc")
    print(f"second index run (nothing new): {wall * 1000:.0f} ms")

    queries = [" ".join(rng.sample(words[:300], rng.randint(1, 2))) for _ in range(200)]
    times = []
    for q in queries:
        t = time.perf_counter()
        search(live, q, limit=20)
        times.append(time.perf_counter() - t)
    print(f"query.search (limit 20, 1-2 common words): {percentiles(times)}")
    live.close()
    datasette_latency(args.dir / "index.db", queries[:50])
    size = (args.dir / "index.db").stat().st_size
    print(f"index.db: {size / 1e6:.0f} MB for {n} articles of 600 words")


def datasette_latency(db_path: Path, queries: list[str]) -> None:
    from datasette.app import Datasette

    metadata = yaml.safe_load(Path("config/datasette.yaml").read_text())
    settings = {"suggest_facets": False, "sql_time_limit_ms": 3000}

    async def run() -> None:
        ds = Datasette([str(db_path)], metadata=metadata, settings=settings)
        for label, paths in (
            ("articles table page (4 default facets)", ["/index/articles"] * 20),
            ("canned search page", [f"/index/search?q={q.replace(' ', '+')}" for q in queries]),
            ("latest_articles", ["/index/latest_articles?site="] * 10),
        ):
            times = []
            for path in paths:
                t = time.perf_counter()
                r = await ds.client.get(path)
                assert r.status_code == 200, (path, r.status_code, r.text[:300])
                times.append(time.perf_counter() - t)
            print(f"Datasette {label}: {percentiles(times)}")

    asyncio.run(run())


if __name__ == "__main__":
    main()
