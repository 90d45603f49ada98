"""Site config validation: each kind of mistake gets one clear message naming file and field."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archive.config import ConfigError, load_site, load_sites, parse_duration, read_sites, rebase

GOOD = """
allowed_domains = ["example.com"]
feeds = ["https://example.com/rss"]
article_patterns = ['/\\d{4}/\\d{2}/\\d{2}/']
"""
ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str, name: str = "news.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_site(path)
    return str(caught.value)


def test_good_config_loads_with_name_from_file(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, GOOD))
    assert site.name == "news"
    assert site.seeds == [("https://example.com/rss", "feed")]
    assert site.is_article("https://example.com/2026/01/02/x")
    assert not site.is_article("https://example.com/about")


def test_patterns_match_a_link_however_its_non_ascii_characters_are_spelled(tmp_path: Path) -> None:
    # A pattern written as people read the URL matched no link a sitemap percent-encodes (as
    # the sitemap protocol asks), and one written percent-encoded no raw link: the site's
    # articles were never fetched, in a run that ended ok.
    readable = load_site(write(tmp_path, GOOD.replace("\\d{4}/\\d{2}/\\d{2}/", "новости/\\d+$")))
    encoded = load_site(write(tmp_path, GOOD.replace("\\d{4}/\\d{2}/\\d{2}/",
                                                     "%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/\\d+$")))
    for site in (readable, encoded):
        for url in ("https://example.com/новости/123",
                    "https://example.com/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/123",
                    "https://example.com/%d0%bd%d0%be%d0%b2%d0%be%d1%81%d1%82%d0%b8/123"):
            assert site.is_article(url), (site.article_patterns, url)
        assert not site.is_article("https://example.com/%D0%BD%D0%BE/123")


def test_unknown_key(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "max_pagez = 3\n")
    assert error_of(path) == f"{path}: max_pagez: unknown key"


def test_bad_regex(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "follow_patterns = ['/section/(']\n")
    assert error_of(path) == (
        f"{path}: follow_patterns.0: '/section/(' is not a valid regular expression "
        "(missing ) at position 10)"
    )


def test_pattern_that_backtracks_forever_is_cut_off_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Python's re takes ages on this (each "a" run splits two ways) and cannot be
    # interrupted, not even by SIGTERM: a crawl meeting such a URL hung for good.
    path = write(tmp_path, GOOD.replace("article_patterns = ['/\\d{4}/\\d{2}/\\d{2}/']",
                                        "article_patterns = ['/(a|aa)+$', '/story/']"))
    site = load_site(path)
    hostile = "https://example.com/" + "a" * 80 + "!"
    with caplog.at_level("ERROR", logger="archive.urlpatterns"):
        assert not site.is_article(hostile)
        assert not site.is_article(hostile + "!")  # reported once
    assert site.is_article("https://example.com/aaaa")  # the pattern still serves other URLs
    assert site.is_article("https://example.com/story/x")
    errors = [r.getMessage() for r in caplog.records]
    assert len(errors) == 1 and "'/(a|aa)+$'" in errors[0] and hostile in errors[0]


def test_bad_url(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "sitemaps = ['ftp://example.com/sitemap.xml']\n")
    assert error_of(path) == (
        f"{path}: sitemaps: [0] 'ftp://example.com/sitemap.xml' is not an absolute http(s) URL"
    )


def test_relative_seed_needs_base_url(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "start_urls = ['/news']\n")
    assert error_of(path) == (
        f"{path}: start_urls: [0] '/news' is a path: set base_url or give a full URL"
    )


def test_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "max_pages = 'many'\n")
    assert error_of(path) == f"{path}: max_pages: Input should be a valid integer"


def test_bad_since(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "since = 'last week'\n")
    assert error_of(path) == (
        f"{path}: since: 'last week' is neither an ISO date (2026-01-31) nor a duration like '7d'"
    )


@pytest.mark.parametrize("line", [
    "since = '999999999d'", "since = '99999999999999999999w'", "every = '999999999999d'",
    "revisit_after = '999999999d'",
])
def test_a_duration_too_long_to_subtract_from_now(tmp_path: Path, line: str) -> None:
    # It used to load, then fail the crawl with OverflowError (or crash the loader).
    path = write(tmp_path, GOOD + line + "\n")
    field = line.split()[0]
    message = error_of(path)
    assert message.startswith(f"{path}: {field}: ")
    assert ("longer than 36,500 days" in message) or (
        field == "since" and "neither an ISO date" in message)


@pytest.mark.parametrize(("line", "error"), [
    ("max_pages = true", "max_pages: Input should be a valid integer"),
    ("max_pages = '10'", "max_pages: Input should be a valid integer"),
    ("base_url = 'https://example.com:99999'", "base_url: 'https://example.com:99999' has no valid port"),
    ("base_url = 'https://example.com:0'", "base_url: 'https://example.com:0' has no valid port"),
    ("allowed_domains = ['*.example.com']", "write 'example.com', which covers its subdomains"),
    ("allowed_domains = ['exa mple.com']", "'exa mple.com' is not a domain name"),
    ("allowed_domains = ['']", "'' is not a domain name"),
    # An empty pattern matched every URL: every page of the site became an "article".
    ("follow_patterns = ['']", "follow_patterns.0: an empty pattern matches every URL"),
    ("allowed_domains = ['other.org']", "'https://example.com/rss' is not on allowed_domains"),
    # Named by field: the check ran once the file was read, and the message said "(file)".
    ("start_urls = ['https://other.org/news']",
     "start_urls: [0] 'https://other.org/news' is not on allowed_domains ['example.com']"),
    # A duration past a century was called "neither an ISO date nor a duration".
    ("since = '40000d'", "since: '40000d' is longer than 36,500 days"),
    ("base_url = 'https://example.com'\nsitemaps = ['//evil.org/sitemap.xml']",
     "'https://evil.org/sitemap.xml' is not on allowed_domains"),
])
def test_values_that_would_only_fail_at_crawl_time(tmp_path: Path, line: str, error: str) -> None:
    path = write(tmp_path, GOOD.replace('allowed_domains = ["example.com"]\n', "") + line + "\n"
                 if line.startswith("allowed_domains") else GOOD + line + "\n")
    assert error in error_of(path)


def test_domains_are_compared_as_requests_carry_them(tmp_path: Path) -> None:
    path = write(tmp_path, 'allowed_domains = ["Bücher.DE."]\nfeeds = ["https://bücher.de/rss"]\n'
                 "article_patterns = ['/a/']\n")
    site = load_site(path)
    assert site.allowed_domains == ["xn--bcher-kva.de"]
    assert site.on_site("https://www.xn--bcher-kva.de/a/1") and site.on_site("https://bücher.de/a/1")


def test_missing_required_field(tmp_path: Path) -> None:
    path = write(tmp_path, 'allowed_domains = ["example.com"]\nfeeds = ["https://example.com/rss"]\n')
    assert error_of(path) == f"{path}: article_patterns: Field required"


def test_no_seeds(tmp_path: Path) -> None:
    path = write(tmp_path, "allowed_domains = ['example.com']\narticle_patterns = ['/a/']\n")
    assert error_of(path) == f"{path}: (file): give at least one of feeds, sitemaps or start_urls"


def test_domain_that_is_a_url(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('["example.com"]', '["https://example.com/"]'))
    assert error_of(path) == (
        f"{path}: allowed_domains: 'https://example.com/' is a URL, not a domain (write 'example.com')"
    )


def test_not_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "allowed_domains = [\n")
    assert error_of(path).startswith(f"{path}: not valid TOML (")


def test_a_config_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    """Regression (bug hunt): a file saved as "UTF-8" by Windows Notepad (with a BOM) was
    'not valid TOML (Invalid statement (at line 1, column 1))', a character nobody sees."""
    from archive.schedule import load_schedule

    assert load_site(write(tmp_path, "\ufeff" + GOOD)).name == "news"
    schedule = write(tmp_path, '\ufeff[scheduler]\nmax_crawls = 2\n', name="schedule.toml")
    assert load_schedule(schedule).scheduler.max_crawls == 2


def test_bad_site_name(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD, name="Bad Name.toml")
    assert error_of(path) == (
        f"{path}: name: 'Bad Name' is not a valid site name (lowercase letters, digits, '-' and '_')"
    )


def test_since_duration_and_date(tmp_path: Path) -> None:
    now = datetime(2026, 11, 28, tzinfo=UTC)
    site = load_site(write(tmp_path, GOOD + "since = '7d'\n"))
    assert site.since_datetime(now) == now - timedelta(days=7)
    site = load_site(write(tmp_path, GOOD + "since = '2026-01-31'\n"))
    assert site.since_datetime(now) == datetime(2026, 1, 31, tzinfo=UTC)
    # Unquoted, TOML reads a date: it was refused as "Input should be a valid string".
    site = load_site(write(tmp_path, GOOD + "since = 2026-01-31\n"))
    assert site.since_datetime(now) == datetime(2026, 1, 31, tzinfo=UTC)
    assert parse_duration("2h") == timedelta(hours=2)


def test_rebase_resolves_paths(tmp_path: Path) -> None:
    local = GOOD.replace('["example.com"]', '["example.com", "127.0.0.1"]')
    site = load_site(write(tmp_path, local + "base_url = 'http://127.0.0.1:8765'\nstart_urls = ['/']\n"))
    moved = rebase(site, "http://127.0.0.1:40000")
    assert ("http://127.0.0.1:40000/", "page") in moved.seeds
    with pytest.raises(ConfigError, match="^base_url: 'nope' is not an absolute http"):
        rebase(site, "nope")
    with pytest.raises(ConfigError, match="'http://staging.test/' is not on allowed_domains"):
        rebase(site, "http://staging.test")  # the crawl would drop every seed as off-site


def test_shipped_configs_validate() -> None:
    sites = load_sites(ROOT / "config" / "sites")
    assert {"demo", "themoscowtimes"} <= set(sites)


def test_scrapy_list_reports_bad_config_without_traceback(tmp_path: Path) -> None:
    write(tmp_path, GOOD + "bogus = 1\n")
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True,
        env={"NEWSARCHIVE_SITES": str(tmp_path), "PATH": "/usr/bin:/bin"}, timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().endswith(f"newsarchive: {tmp_path / 'news.toml'}: bogus: unknown key")


def test_scrapy_list_shows_sites(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    write(tmp_path, GOOD, name="other.toml")
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True,
        env={"NEWSARCHIVE_SITES": str(tmp_path), "PATH": "/usr/bin:/bin"}, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["news", "other"]


def test_a_relative_sites_directory_that_is_missing_says_where_it_was_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `newsarchive crawl demo` run outside the project root: "config/sites: sites directory
    # does not exist" gave no hint why.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=rf"in {re.escape(str(tmp_path))} \(run from the project root"):
        read_sites(Path("config/sites"))
    with pytest.raises(ConfigError, match=r"does not exist$"):
        read_sites(tmp_path / "nowhere")


def test_timezone_names_the_zone_of_the_sites_times_without_an_offset(tmp_path: Path) -> None:
    assert load_site(write(tmp_path, GOOD)).zone == UTC  # as before the key existed
    for name in ("Europe/Berlin", "America/New_York", "UTC"):
        site = load_site(write(tmp_path, GOOD + f"timezone = '{name}'\n"))
        assert site.timezone == name
        assert str(site.zone) == name


@pytest.mark.parametrize(("value", "hint"), [
    ("'Europe/Berlinn'", ""),
    ("'europe/berlin'", " (did you mean 'Europe/Berlin'?)"),
    ("'Berlin'", ""),
    ("'../../etc/passwd'", ""),
    # The machine's own zone file: another machine rebuilding the index reads another zone.
    ("'localtime'", ""),
    # A folder of the tz database, a name too long for a file: an OSError's traceback.
    ("'America'", ""),
    ("'" + "x" * 300 + "'", ""),
])
def test_a_timezone_that_is_no_iana_name_is_named_with_its_file_and_key(
    tmp_path: Path, value: str, hint: str
) -> None:
    path = write(tmp_path, GOOD + f"timezone = {value}\n")
    assert error_of(path) == (f"{path}: timezone: {value} is not an IANA time zone name like "
                              f"'Europe/Berlin' or 'America/New_York'{hint}")


def test_a_timezone_that_is_no_string(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "timezone = 1\n")
    assert error_of(path) == f"{path}: timezone: Input should be a valid string"


@pytest.mark.parametrize(("address", "allowed"), [
    ("93.184.215.14", True), ("2606:4700::1111", True),
    ("127.0.0.1", False), ("::1", False), ("10.1.2.3", False),
    # IPv6 addresses that lead to an IPv4 one are judged by it (Python calls these global).
    ("64:ff9b::7f00:1", False), ("2002:7f00:1::", False), ("::127.0.0.1", False),
    ("::ffff:0:7f00:1", False), ("64:ff9b:1::a00:1", False), ("2002:a00:1::1", False),
    ("64:ff9b::5db8:d70e", True), ("2002:5db8:d70e::1", True),
])
def test_addresses_a_site_may_reach(tmp_path: Path, address: str, allowed: bool) -> None:
    site = load_site(write(tmp_path, GOOD))
    assert site.allows_address(address) is allowed


def test_an_allowed_private_network_admits_its_own_addresses_alone(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, GOOD + "allow_private_networks = ['127.0.0.1/32']\n"))
    assert site.allows_address("127.0.0.1") and site.allows_address("::ffff:127.0.0.1")
    assert not site.allows_address("127.0.0.2") and not site.allows_address("::1")
    # A NAT64 gateway's or 6to4 relay's own loopback is not the one opted into.
    assert not site.allows_address("64:ff9b::7f00:1") and not site.allows_address("2002:7f00:1::")
