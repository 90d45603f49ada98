"""Real Scrapy crawls of the demo news site on 127.0.0.1: discovery, robots, since, dedup."""

from __future__ import annotations

import gc
import logging
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.demosite import DemoSite
from tests.conftest import ROOT, Crawl, scrapy_crawl


def _site(crawl: Crawl) -> DemoSite:
    assert crawl.site is not None
    return crawl.site


def _wanted(site: DemoSite) -> list[str]:
    """Article paths the demo config must fetch: within `since` (30d), not disallowed."""
    cutoff = datetime.now(UTC) - timedelta(days=30)
    return [a.path for a in site.manifest.articles if a.published_at >= cutoff]


def test_crawl_finishes_ok(demo_crawl: Crawl) -> None:
    stats = demo_crawl.stats()
    assert stats["newsarchive/outcome"] == "ok"
    assert stats["finish_reason"] == "finished"
    assert stats.get("log_count/ERROR", 0) == 0


def test_crawl_process_freezes_what_start_up_left_out_of_the_collectors_sight(
    demo_crawl: Crawl,
) -> None:
    # Scrapy's and Twisted's modules, the settings, the site configs: well over 10,000
    # objects that every full collection walked again (crawler/extensions/tuning.py).
    assert demo_crawl.stats()["newsarchive/gc_frozen_objects"] > 10_000


def test_crawl_process_threads_share_one_malloc_arena(demo_crawl: Crawl) -> None:
    """Issue 4 (peak memory flat in the number of pages): an arena per thread (WARC and index
    writes in asyncio.to_thread, pebble's threads) kept the holes of freed page-sized
    buffers, and the crawl's peak RSS grew with its pages (crawler/extensions/tuning.py)."""
    assert demo_crawl.stats()["newsarchive/malloc_arena_max"] == 1
    # What the setting does to threads started after it, which glibc's own report shows.
    program = """if True:
        import ctypes, re, sys, tempfile, threading
        from crawler.extensions.tuning import limit_malloc_arenas
        if sys.argv[1] == "limit":
            assert limit_malloc_arenas(1)
        threads = [threading.Thread(target=lambda: bytearray(300_000)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        libc = ctypes.CDLL("libc.so.6")
        libc.fopen.restype = ctypes.c_void_p
        with tempfile.NamedTemporaryFile("r") as report:
            stream = libc.fopen(report.name.encode(), b"w")
            libc.malloc_info(0, ctypes.c_void_p(stream))
            libc.fclose(ctypes.c_void_p(stream))
            print(len(re.findall("<heap nr=", report.read())))
    """
    def arenas(mode: str) -> int:
        run = subprocess.run([sys.executable, "-c", program, mode], cwd=ROOT, capture_output=True,
                             text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        return int(run.stdout)

    assert arenas("default") > 1
    assert arenas("limit") == 1


def test_gc_threshold_zero_keeps_pythons_defaults_and_scrapy_logs_at_log_level() -> None:
    from scrapy.utils.test import get_crawler

    from crawler.extensions.tuning import ProcessTuning

    scrapy_logger = logging.getLogger("scrapy")
    before = gc.get_threshold(), gc.get_freeze_count(), scrapy_logger.level
    crawler = get_crawler(settings_dict={"NEWSARCHIVE_GC_THRESHOLD": 0, "LOG_LEVEL": "INFO"})
    try:
        ProcessTuning.from_crawler(crawler).spider_opened()
        assert (gc.get_threshold(), gc.get_freeze_count()) == before[:2]
        # Scrapy filters in its handler only: DEBUG records were built, then dropped.
        assert scrapy_logger.level == logging.INFO and not scrapy_logger.isEnabledFor(logging.DEBUG)
        scrapy_logger.setLevel(logging.WARNING)  # a level set on purpose stays
        ProcessTuning.from_crawler(crawler).spider_opened()
        assert scrapy_logger.level == logging.WARNING
    finally:
        scrapy_logger.setLevel(before[2])


def test_every_article_discovered_and_fetched_once(demo_crawl: Crawl) -> None:
    site = _site(demo_crawl)
    wanted = _wanted(site)
    assert len(wanted) == len(site.manifest.articles) - 2
    flaky = site.manifest.special["flaky"]
    for path in wanted:
        # The flaky page answers 500 once: one retry, still one article.
        assert site.hits(path) == (2 if path == flaky else 1), path
    fetched = {item["canonical_url"].removeprefix(site.url) for item in demo_crawl.items
               if item["kind"] == "article" and item["outcome"] == "article"}
    assert fetched == set(wanted)


def test_article_known_by_several_urls_is_fetched_once(demo_crawl: Crawl) -> None:
    site = _site(demo_crawl)
    special = site.manifest.special
    assert site.hits(special["utm_link"]) == 0  # requested by its canonical URL only
    assert site.hits(special["utm_target"]) == 1
    assert site.hits(special["redirect_from"]) == 1
    assert site.hits(special["redirect_to"]) == 1
    redirect = [i for i in demo_crawl.items if i["outcome"] == "redirect"]
    assert [i["url"].removeprefix(site.url) for i in redirect] == [special["redirect_from"]]


def test_robots_disallow_honoured(demo_crawl: Crawl) -> None:
    site = _site(demo_crawl)
    assert site.manifest.disallowed_paths
    for path in site.manifest.disallowed_paths:
        assert site.hits(path) == 0, path
    assert demo_crawl.stats()["newsarchive/robots_disallowed"] == len(site.manifest.disallowed_paths)
    assert site.requested_paths()[0] == "/robots.txt"


def test_since_skips_old_articles(demo_crawl: Crawl) -> None:
    site = _site(demo_crawl)
    old = [a.path for a in site.manifest.articles if a.path not in _wanted(site)]
    assert len(old) == 2
    for path in old:
        assert site.hits(path) == 0, path
    assert demo_crawl.stats()["newsarchive/skipped_since"] >= 2


def test_non_articles_are_not_articles(demo_crawl: Crawl) -> None:
    site = _site(demo_crawl)
    articles = {a.path for a in site.manifest.articles}
    kinds = {item["url"].removeprefix(site.url): item["kind"] for item in demo_crawl.items}
    followed = [p for p in site.manifest.non_article_paths if p in kinds]
    assert "/" in followed and "/section/politics?page=2" in followed
    for path in followed:
        assert kinds[path] == "page", path
        assert path not in articles
    assert all(i["article"] is None for i in demo_crawl.items if i["kind"] != "article")


def test_discovery_keeps_feed_and_news_sitemap_fields(demo_crawl: Crawl) -> None:
    site = _site(demo_crawl)
    newest = site.manifest.articles[0]
    assert newest.in_news_sitemap
    item = next(i for i in demo_crawl.items if i["canonical_url"] == site.url + newest.path)
    news = next(d for d in item["discovery"] if d["source"] == "news_sitemap")
    assert news["title"] == newest.title
    assert datetime.fromisoformat(news["published"]) == newest.published_at
    assert news["keywords"]
    feed = next(d for d in item["discovery"] if d["source"] == "feed")
    assert datetime.fromisoformat(feed["published"]) == newest.published_at


def test_missing_page_is_recorded(demo_crawl: Crawl) -> None:
    site = _site(demo_crawl)
    missing = [i for i in demo_crawl.items if i["outcome"] == "http_error"]
    assert [(i["url"].removeprefix(site.url), i["status"]) for i in missing] == [
        (site.manifest.special["not_found"], 404)]


def _nowhere_site(tmp_path: Path) -> Path:
    """A sites directory with one site whose only feed is never requested."""
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "nowhere.toml").write_text(
        "allowed_domains = ['127.0.0.1']\n"
        "feeds = ['http://127.0.0.1:9/rss']\n"  # loopback, not opted in: never requested
        "article_patterns = ['/news/']\n")
    return sites


def test_zero_request_run_is_an_error(tmp_path: Path) -> None:
    sites = _nowhere_site(tmp_path)
    crawl = scrapy_crawl("nowhere", tmp_path / "data", sites=sites)
    assert crawl.returncode == 1
    assert "sent no request at all" in crawl.log
    assert crawl.stats()["newsarchive/outcome"] == "failed"


def test_scrapy_crawl_of_an_unknown_site_is_a_usage_error(tmp_path: Path) -> None:
    crawl = scrapy_crawl("nosuchsite", tmp_path / "data")
    assert crawl.returncode == 2
    assert "no site 'nosuchsite' (known: demo, themoscowtimes)" in crawl.log
    assert "Traceback" not in crawl.log
    crawl = scrapy_crawl("demo", tmp_path / "data", settings={"WARC_GZIP_LEVEL": "42"})
    assert crawl.returncode == 2 and "setting WARC_GZIP_LEVEL='42' must be from -1 to 9" in crawl.log


def test_scrapy_crawl_of_a_removed_site_says_so_whatever_other_configs_are_broken(
        tmp_path: Path) -> None:
    """A site taken out of config/sites while the scheduler runs is still crawled on its turns:
    its log named another site's broken config ("bogus: unknown key") as the reason, and never
    said that the site itself was gone."""
    sites = _nowhere_site(tmp_path)
    (sites / "typo.toml").write_text((sites / "nowhere.toml").read_text() + "bogus = 1\n")
    crawl = scrapy_crawl("gone", tmp_path / "data", sites=sites)
    assert crawl.returncode == 2
    assert "no site 'gone' (known: nowhere)" in crawl.log
    assert "typo.toml" not in crawl.log


def test_a_crawl_refuses_an_archive_whose_index_is_gone(tmp_path: Path) -> None:
    """index.db deleted under the scheduler: the next crawl made a fresh empty index, and
    so took every archived article for new and fetched and archived it all again."""
    data = tmp_path / "data"
    (data / "warc").mkdir(parents=True)
    (data / "warc" / "newsarchive-nowhere-20260101000000000-00000-host-1.warc.gz").write_bytes(b"")
    sites = _nowhere_site(tmp_path)
    crawl = scrapy_crawl("nowhere", data, sites=sites)
    assert crawl.returncode == 2
    assert (f"{data / 'index.db'} is missing but {data / 'warc'} holds 1 WARC file(s): "
            "run `newsarchive index` to build it from them first") in crawl.log
    assert not (data / "index.db").exists()
    # A killed crawl's file, still `.open`, holds archived articles as much: a crawl started
    # on an empty index beside it and archived them again.
    warc = data / "warc" / "newsarchive-nowhere-20260101000000000-00000-host-1.warc.gz"
    warc.rename(warc.with_name(warc.name + ".open"))
    crawl = scrapy_crawl("nowhere", data, sites=sites)
    assert crawl.returncode == 2
    assert "holds 1 WARC file(s)" in crawl.log
    assert not (data / "index.db").exists()


def test_cli_crawl_and_unknown_site(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    cli = [sys.executable, "-m", "crawler.cli"]
    result = subprocess.run([*cli, "crawl", "nosuchsite", "--data", str(tmp_path)], cwd=ROOT,
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert "Error: no site 'nosuchsite' in config/sites (known: demo, themoscowtimes)" in result.stderr
    with DemoSite(n_articles=16) as site:
        result = subprocess.run(
            [*cli, "crawl", "demo", "--data", str(tmp_path), "-a", f"base_url={site.url}",
             "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"],
            cwd=ROOT, capture_output=True, text=True, env=env, timeout=180)
        assert result.returncode == 0, result.stderr[-2000:]
        assert "outcome ok" in result.stderr
        assert site.hits(site.manifest.articles[0].path) == 1
    assert list((tmp_path / "warc").glob("*.warc.gz"))


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_newsarchive_demo_command_run_twice_archives_each_article_once(tmp_path: Path) -> None:
    """Each run served the demo site on a new free port, which is part of every archived URL:
    a second `make demo` put every article in the index twice."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    port = _free_port()
    command = [sys.executable, "-m", "crawler.cli", "demo", "--no-serve", "--articles", "16",
               "--site-port", str(port), "--data", str(tmp_path / "data")]
    for _ in range(2):
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env,
                                timeout=180)
        assert result.returncode == 0, result.stderr[-2000:]
        assert f"demo news site at http://127.0.0.1:{port}" in result.stderr
        assert "outcome ok" in result.stderr
    assert list((tmp_path / "data" / "warc").glob("newsarchive-demo-*.warc.gz"))
    with closing(sqlite3.connect(tmp_path / "data" / "index.db")) as db:
        urls = [row[0] for row in db.execute("select canonical_url from articles")]
    assert len(urls) >= 10 and all(url.startswith(f"http://127.0.0.1:{port}/") for url in urls)
    assert len({url.split("/", 3)[3] for url in urls}) == len(urls)


def test_demo_runs_from_any_directory(tmp_path: Path) -> None:
    """The demo is built in: run outside the project root it stopped with "config/sites: sites
    directory does not exist", though it needs nothing of the working directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "demo", "--no-serve", "--articles", "16",
         "--site-port", str(_free_port())],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "outcome ok" in result.stderr
    assert list((tmp_path / "data" / "warc").glob("newsarchive-demo-*.warc.gz"))


def test_demo_refuses_ports_it_cannot_use_before_crawling(tmp_path: Path) -> None:
    import socket

    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        for option, port in (("--site-port", taken), ("--port", taken), ("--port", 70000)):
            result = subprocess.run(
                [sys.executable, "-m", "crawler.cli", "demo", "--serve", "--articles", "16",
                 "--site-port", str(_free_port()), option, str(port), "--data", str(tmp_path)],
                cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
            assert result.returncode == 2 and "Invalid value for" in result.stderr, result.stderr
            assert option in result.stderr
            assert "Traceback" not in result.stderr
    assert not (tmp_path / "warc").exists()  # refused before crawling


def test_every_command_has_help() -> None:
    from click.testing import CliRunner

    from crawler.cli import main

    runner = CliRunner()
    for name, command in main.commands.items():
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Example" in result.output, f"{name} --help shows no example"
        assert "--data" in result.output and "--sites" in result.output, name
        assert command.help


def test_run_without_any_response_is_an_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "down.toml").write_text(
        f"base_url = 'http://127.0.0.1:{port}'\nallowed_domains = ['127.0.0.1']\n"
        "allow_private_networks = ['127.0.0.1/32']\nfeeds = ['/rss']\narticle_patterns = ['/news/']\n")
    crawl = scrapy_crawl("down", tmp_path / "data", sites=sites, settings={"RETRY_TIMES": "0"})
    assert crawl.returncode == 1
    assert "got no response at all" in crawl.log
    assert crawl.stats()["newsarchive/outcome"] == "failed"


def test_cli_bad_base_url_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "demo", "-a", "base_url=notaurl",
         "--data", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "base_url: 'notaurl' is not an absolute http(s) URL" in result.stderr


def test_feeds_and_sitemaps_are_not_cut_at_max_body(tmp_path: Path) -> None:
    # NEWSARCHIVE_MAX_BODY guards against huge pages; a feed or sitemap over it was cut and
    # gave no links at all, though sitemaps may be 50 MB. Here every body is over 3,000 bytes.
    with DemoSite(n_articles=16) as site:
        crawl = scrapy_crawl("demo", tmp_path / "data", base_url=site.url,
                             settings={"NEWSARCHIVE_MAX_BODY": "3000"})
    documents = [i for i in crawl.items if i["kind"] in ("feed", "sitemap")]
    assert documents and all(i["outcome"] != "truncated" for i in documents)
    # Their links were followed: the articles were fetched (and cut, being over the limit).
    cut = [i for i in crawl.items if i["kind"] == "article" and i["outcome"] == "truncated"]
    assert len(cut) >= 12


def test_another_sites_broken_config_does_not_stop_this_crawl(tmp_path: Path) -> None:
    # A config being edited while the scheduler runs failed every site's crawls (each
    # `scrapy crawl` loaded the whole directory); now only that site's crawl stops.
    sites = _nowhere_site(tmp_path)
    (sites / "typo.toml").write_text("allowed_domains = ['example.com']\nbogus_key = 1\n")
    crawl = scrapy_crawl("nowhere", tmp_path / "data", sites=sites)
    assert crawl.returncode == 1 and "sent no request at all" in crawl.log  # it ran
    broken = scrapy_crawl("typo", tmp_path / "data2", sites=sites)
    assert broken.returncode == 2 and f"{sites / 'typo.toml'}: " in broken.log
    assert "bogus_key: unknown key" in broken.log
    assert "Traceback" not in broken.log


@pytest.mark.parametrize(("argument", "message"), [
    ("base_url=garbage", "base_url: 'garbage' is not an absolute http(s) URL"),
    ("name=other", "unknown spider argument 'name': the only one is base_url"),
])
def test_spider_arguments_the_crawl_cannot_use_are_a_usage_error(
    tmp_path: Path, argument: str, message: str
) -> None:
    """`-a name=other` archived the crawl as another site (its runs, lease and WARC names),
    dodging the one-crawl-per-site lease; a bad base_url gave two tracebacks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    for command in ([sys.executable, "-m", "scrapy", "crawl", "demo", "-a", argument,
                     "-s", f"NEWSARCHIVE_DATA={tmp_path}"],
                    [sys.executable, "-m", "crawler.cli", "crawl", "demo", "-a", argument,
                     "--data", str(tmp_path)]):
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env,
                                timeout=60)
        assert result.returncode == 2 and message in result.stderr, result.stderr[-2000:]
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "warc").exists()


def test_empty_data_and_sites_variables_are_unset_for_scrapy_too(tmp_path: Path) -> None:
    """`NEWSARCHIVE_SITES= scrapy list` read pyproject.toml as a site config, and an empty
    NEWSARCHIVE_DATA archived into the project root; the CLI already read "" as unset."""
    env = {**os.environ, "NEWSARCHIVE_SITES": "", "NEWSARCHIVE_DATA": ""}
    result = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT,
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["demo", "themoscowtimes"]
    probe = "from scrapy.utils.project import get_project_settings as g; print(g()['NEWSARCHIVE_DATA'])"
    data = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                          env={**env, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}, timeout=60)
    assert data.stdout.strip() == "data"


def test_a_data_directory_the_crawl_cannot_use_is_one_clear_error(tmp_path: Path) -> None:
    """A directory that cannot be created or written gave a traceback per component, and the
    last line blamed the site's config; a damaged index gave six tracebacks to scrapy crawl."""
    (tmp_path / "afile").write_text("")
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "index.db").write_bytes(os.urandom(8192))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    for data, message in ((tmp_path / "afile" / "data", "cannot write to the data directory"),
                          (damaged, "cannot be used as the index")):
        for command in ([sys.executable, "-m", "scrapy", "crawl", "demo",
                         "-s", f"NEWSARCHIVE_DATA={data}"],
                        [sys.executable, "-m", "crawler.cli", "crawl", "demo", "--data", str(data)]):
            result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env,
                                    timeout=60)
            assert result.returncode in (1, 2) and message in result.stderr, result.stderr[-2000:]
            assert "Traceback" not in result.stderr
