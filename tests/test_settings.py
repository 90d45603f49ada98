"""What the shipped Scrapy settings switch off and on (DESIGN.md: turn off what we do not use)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy.utils.project import get_project_settings

import archive
from crawler.middlewares.retry_after import retry_after_seconds


def test_unused_and_unsafe_parts_are_off() -> None:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
    handlers = settings.getdict("DOWNLOAD_HANDLERS")
    assert all(handlers[scheme] is None for scheme in ("file", "data", "ftp", "s3"))
    # robots.txt is checked by the spider before scheduling; Scrapy's own check races.
    assert settings.getbool("ROBOTSTXT_OBEY") is False
    assert settings.getbool("AUTOTHROTTLE_ENABLED") is True
    assert "newsarchive/" in settings.get("USER_AGENT") and "+http" in settings.get("USER_AGENT")
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    # Capture sits above HttpCompressionMiddleware (590) and Redirect (600): raw bytes, every hop.
    assert middlewares["crawler.middlewares.capture.WarcCaptureMiddleware"] > 600
    assert 550 < middlewares["crawler.middlewares.retry_after.RetryAfterMiddleware"] < 590


def test_retry_after_parsing() -> None:
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120.0
    later = (now + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert retry_after_seconds(later, now=now) == 30.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_every_setting_of_ours_is_documented() -> None:
    """README's settings table names every NEWSARCHIVE_* and WARC_* setting we define."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    defined = set(re.findall(r"^((?:NEWSARCHIVE|WARC)_[A-Z_]+)\b", (root / "crawler" / "settings.py")
                             .read_text(), re.MULTILINE))
    readme = (root / "README.md").read_text()
    assert defined and not {name for name in defined if f"`{name}`" not in readme}


def test_a_contact_with_line_breaks_stays_one_header_line() -> None:
    import subprocess
    import sys

    env = {**os.environ, "NEWSARCHIVE_CONTACT": "me@x.org\r\nX-Evil: 1"}
    agent = subprocess.run(
        [sys.executable, "-c", "import crawler.settings as s; print(repr(s.USER_AGENT))"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    assert "me@x.org X-Evil: 1" in agent and "\\r" not in agent and "\\n" not in agent


def test_demo_refuses_too_few_articles_with_a_usage_error() -> None:
    from click.testing import CliRunner

    from crawler.cli import main

    result = CliRunner().invoke(main, ["demo", "--articles", "0"])
    assert result.exit_code == 2 and "x>=16" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_shipped_settings_pass_their_own_checks() -> None:
    from crawler.settings_check import settings_problems

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    assert settings_problems(settings) == []
    # Values the project documents or zlib accepts: never wait for Retry-After; zlib's default.
    settings.set("NEWSARCHIVE_RETRY_AFTER_MAX", "0")
    settings.set("WARC_GZIP_LEVEL", "-1")
    assert settings_problems(settings) == []
    for level in ("WARN", "NOTSET", 10):  # what logging takes besides the five usual names
        settings.set("LOG_LEVEL", level)
        assert settings_problems(settings) == [], level


@pytest.mark.parametrize(("name", "value", "problem"), [
    ("NEWSARCHIVE_HOSTS", "notjson", "is not JSON"),
    ("NEWSARCHIVE_HOSTS", '["127.0.0.1"]', "is not a mapping"),
    ("NEWSARCHIVE_HOSTS", '{"news.example": "localhost"}',
     "pins 'news.example' to 'localhost', which is not an IP address"),
    ("NEWSARCHIVE_EXTRACT_WORKERS", "abc", "is not a whole number"),
    ("NEWSARCHIVE_EXTRACT_TIMEOUT", "-1", "must be more than 0"),
    ("NEWSARCHIVE_MAX_BODY", "abc", "is not a whole number"),
    ("WARC_GZIP_LEVEL", "42", "must be from -1 to 9"),
    ("WARC_PREFIX", "../x", "must be letters, digits, '.', '_' or '-'"),
    # Scrapy's getbool raised in spider_opened: the crawl went on without its archive and
    # ended "got no response at all: is the site (or the network) down?".
    ("WARC_FSYNC", "no", "is not true or false (True, False, 1 or 0)"),
    ("WARC_ENABLED", "off", "is not true or false (True, False, 1 or 0)"),
    ("NEWSARCHIVE_HOSTS_ONLY", "yes", "is not true or false (True, False, 1 or 0)"),
    ("AUTOTHROTTLE_ENABLED", "nope", "is not true or false (True, False, 1 or 0)"),
    ("CONCURRENT_REQUESTS", "many", "is not a whole number"),
    ("DOWNLOAD_DELAY", "-1", "must be at least 0"),
    # A mapping setting (FEEDS, ITEM_PIPELINES) given anything else: Scrapy's settings.set
    # raised a TypeError or JSONDecodeError traceback.
    ("FEEDS", "1", "is not a JSON object"),
    ("FEEDS", "out.json", "is not a JSON object"),
    ("ITEM_PIPELINES", "[1]", "is not a JSON object"),
    # Python's logging raised "Unknown level" as a traceback while Scrapy set up its logging.
    ("LOG_LEVEL", "debug", "is not a log level: DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    ("LOG_LEVEL", "10", "is not a log level: DEBUG, INFO, WARNING, ERROR or CRITICAL"),
])
def test_a_bad_setting_stops_the_crawl_before_it_starts(
    tmp_path: Path, name: str, value: str, problem: str
) -> None:
    from click.testing import CliRunner

    from crawler.cli import main

    result = CliRunner().invoke(main, ["crawl", "demo", "--data", str(tmp_path), "-s", f"{name}={value}"])
    assert result.exit_code == 2 and f"setting {name}={value!r} {problem}" in result.output
    assert not (tmp_path / "warc").exists()  # nothing started


def test_pinned_names_match_as_requests_carry_them() -> None:
    from crawler.dns import PinnedHosts

    pinned = PinnedHosts({"Bücher.Example.": "127.0.0.1", "news.example": "::1"}, only=False)
    # Requests carry the IDNA form; a pin written in Unicode was never looked up.
    assert pinned.lookup("xn--bcher-kva.example") == "127.0.0.1"
    assert pinned.lookup("bücher.example") == "127.0.0.1"
    assert pinned.lookup("NEWS.example.") == "::1"
    assert pinned.lookup("other.example") is None


def test_a_contact_given_as_a_setting_reaches_the_user_agent(tmp_path: Path) -> None:
    """The README documents `-s NEWSARCHIVE_CONTACT=...`; settings.py built USER_AGENT from the
    environment at import, so the setting never reached a request. An explicit USER_AGENT wins."""
    from archive.demosite import DemoSite
    from archive.warc import iter_records, warc_files
    from tests.conftest import scrapy_crawl

    agents = {}
    with DemoSite(n_articles=16) as site:
        for name, settings in (("contact", {"NEWSARCHIVE_CONTACT": "mailto:ops@example.org\n"}),
                               ("explicit", {"NEWSARCHIVE_CONTACT": "mailto:ops@example.org",
                                             "USER_AGENT": "MyArchiver/2.0"})):
            crawl = scrapy_crawl("demo", tmp_path / name, base_url=site.url,
                                 settings={**settings, "CLOSESPIDER_PAGECOUNT": "3"})
            agents[name] = {r.http_header("User-Agent") for f in warc_files(crawl.data / "warc")
                            for r in iter_records(f) if r.rec_type == "request"}
    assert agents["contact"] == {
        f"newsarchive/{archive.__version__} (news archiving crawler; mailto:ops@example.org)"}
    assert agents["explicit"] == {"MyArchiver/2.0"}


def test_scrapy_crawl_names_a_mapping_setting_given_something_else(tmp_path: Path) -> None:
    from tests.conftest import scrapy_crawl

    # Scrapy turns only a ValueError of `-s` into a usage error: FEEDS=1 was a TypeError traceback.
    crawl = scrapy_crawl("demo", tmp_path / "data", settings={"FEEDS": "1"}, timeout=60)
    assert crawl.returncode == 2, crawl.log[-2000:]
    assert "setting FEEDS='1' is not a JSON object, as FEEDS needs" in crawl.log
    assert "Traceback" not in crawl.log


def test_an_empty_data_or_sites_setting_is_refused_not_taken_for_the_current_directory() -> None:
    # `scrapy crawl demo -s NEWSARCHIVE_DATA=` (an unset shell variable) archived into the
    # working directory, as `newsarchive --data ""` did.
    from crawler.settings_check import settings_problems

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    for name in ("NEWSARCHIVE_DATA", "NEWSARCHIVE_SITES"):
        settings = get_project_settings()
        settings.set(name, "")
        assert settings_problems(settings) == [f"setting {name}='' is an empty path; give a path "
                                               "(`.` for the current directory)"]


def test_scrapy_crawl_checks_settings_before_scrapy_sets_up_its_logging(tmp_path: Path) -> None:
    from tests.conftest import scrapy_crawl

    crawl = scrapy_crawl("demo", tmp_path / "data", settings={"LOG_LEVEL": "debug"}, timeout=60)
    assert crawl.returncode == 2, crawl.log[-2000:]
    assert "setting LOG_LEVEL='debug' is not a log level" in crawl.log
    assert "Traceback" not in crawl.log


def _crawl_with_pipeline(tmp_path: Path, pipeline: str) -> subprocess.CompletedProcess[str]:
    """`newsarchive crawl demo` with `pipeline` as its only item pipeline, in a process of its own."""
    from tests.conftest import ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")}
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "demo", "--data", str(tmp_path),
         "-s", f'ITEM_PIPELINES={{"{pipeline}": 1}}'],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)


def test_a_crawl_that_cannot_start_is_one_line_naming_why(tmp_path: Path) -> None:
    """A Scrapy component that cannot be built (a pipeline module that does not exist): the
    CLI printed 'outcome None: 0 responses, ...' and then Twisted's 'Unhandled error in
    Deferred' traceback."""
    result = _crawl_with_pipeline(tmp_path, "nosuch.Pipeline")
    assert result.returncode == 1, result.stderr[-2000:]
    assert ("Error: the crawl of 'demo' did not start: ModuleNotFoundError: No module named "
            "'nosuch'") in result.stderr
    assert "Traceback" not in result.stderr and "outcome None" not in result.stderr


class OpenFails:
    """An item pipeline whose open_spider fails, as one connecting to a database that is down."""

    def open_spider(self) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    def process_item(self, item: object) -> object:
        return item


def test_a_crawl_whose_component_fails_to_open_is_not_blamed_on_its_config(tmp_path: Path) -> None:
    """Scrapy closes a spider whose pipeline's open_spider raised, and RunGuard, which never
    saw it open, logged 'crawl of demo sent no request at all: check its feeds, sitemaps and
    start_urls' above the line saying why: the site's config was never the matter."""
    result = _crawl_with_pipeline(tmp_path, "tests.test_settings.OpenFails")
    assert result.returncode == 1, result.stderr[-2000:]
    assert ("Error: the crawl of 'demo' did not start: ConnectionRefusedError: [Errno 111] "
            "Connection refused") in result.stderr
    assert "sent no request at all" not in result.stderr
    assert "check its feeds" not in result.stderr


@pytest.mark.parametrize(("command", "option"), [
    *((command, option) for command in (["crawl", "demo"], ["index"], ["search", "harbour"],
                                        ["runs"], ["schedule"], ["demo"])
      for option in ("--data", "--sites")),
    (["schedule"], "--schedule-file"),
])
def test_an_empty_path_is_a_usage_error_naming_its_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], option: str
) -> None:
    """`--data ""` (an unset shell variable) was taken for the current directory: a crawl
    wrote its WARC files and index there, `search` said "no index at index.db"."""
    from click.testing import CliRunner

    from crawler.cli import main

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [*command, option, ""])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output and "an empty path" in result.output
    assert list(tmp_path.iterdir()) == []
