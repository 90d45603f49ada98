"""The `newsarchive` command: a thin click layer over the library."""

from __future__ import annotations

import io
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from archive.config import ConfigError, SiteConfig, article_url_tests, read_sites
from crawler.cli_options import GivenPath, Terminated, common_options, sigterm_as_ctrl_c
from crawler.datasette_serve import port_free, serve_datasette

if TYPE_CHECKING:
    import sqlite_utils

    from archive.index import IndexStats

DEFAULT_SCHEDULE = Path("config/schedule.toml")  # in the working directory, as --sites is
DEMO_SITES = Path(__file__).resolve().parents[1] / "config" / "sites"  # the demo's, from anywhere


def _check_site(sites: Path, name: str) -> SiteConfig:
    try:
        known, broken = read_sites(sites)  # another site's broken config is not this one's
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if name not in known and name in broken:
        raise click.ClickException(str(broken[name]))
    if name not in known:
        raise click.ClickException(
            f"no site {name!r} in {sites} (known: {', '.join(sorted(known)) or 'none'})"
        )
    return known[name]


def _check_data(data: Path) -> None:
    """Before crawling: the data directory can be written, and its index (if any) used."""
    from crawler.session import DataDir

    problem = DataDir(data).problem()
    if problem:
        raise click.ClickException(problem)


def _open_index(path: Path, *, read_only: bool = False) -> sqlite_utils.Database:
    """The index at `path`; `read_only` for commands that only read it, so they also work
    on an archive on read-only media."""
    from archive.index import IndexUnusable, open_index, open_index_for_reading

    try:
        return open_index_for_reading(path) if read_only else open_index(path)
    except IndexUnusable as exc:
        raise click.ClickException(str(exc)) from None
    except sqlite3.Error as exc:  # a full disk, a lock held too long
        raise click.ClickException(f"cannot use the index {path}: {exc}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsarchive")
def main() -> None:
    """Crawl news sites into WARC files, extract articles, and index them for Datasette.

    \b
    Example:
      newsarchive demo --serve          # crawl the bundled demo site and browse it
      newsarchive crawl themoscowtimes  # crawl one configured site
    """


@main.command()
@common_options
@click.argument("site")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting, e.g. -s DOWNLOAD_DELAY=1.")
@click.option("-a", "--arg", "spider_args", multiple=True, metavar="NAME=VALUE",
              help="Spider argument, e.g. -a base_url=http://127.0.0.1:8765.")
def crawl(data: Path, sites: Path, site: str, overrides: tuple[str, ...],
          spider_args: tuple[str, ...]) -> None:
    """Crawl SITE (config/sites/SITE.toml) once, like `scrapy crawl SITE`.

    \b
    Example:
      newsarchive crawl demo -a base_url=http://127.0.0.1:8765 --data ./data
    """
    from crawler.runner import CrawlNotStarted, SettingsError, crawl_summary, run_crawl
    from crawler.spiders.arguments import spider_args_problem

    config = _check_site(sites, site)
    arguments = _pairs(spider_args, "--arg")
    problem = spider_args_problem(config, arguments)
    if problem:
        raise click.BadParameter(problem, param_hint="--arg")
    _check_data(data)
    try:
        stats = run_crawl(site, data, sites, arguments, _pairs(overrides, "--set"))
    except SettingsError as exc:
        raise click.BadParameter(str(exc), param_hint="--set") from None
    except CrawlNotStarted as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(crawl_summary(stats), err=True)
    if stats.get("newsarchive/outcome") != "ok":
        sys.exit(1)


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{value!r} is not NAME=VALUE", param_hint=option)
        pairs[name] = rest
    return pairs


@main.command()
@common_options
@click.option("--serve/--no-serve", default=False, show_default=True,
              help="Serve the index with Datasette on 127.0.0.1 when the crawl is done.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535),
              help="Datasette port for --serve.")
@click.option("--site-port", default=8765, show_default=True, type=click.IntRange(1, 65535),
              help="Port of the demo news site (the same each run: the port is part of every "
                   "archived URL, and a new one made a second run archive every article again).")
@click.option("--articles", default=64, show_default=True, type=click.IntRange(min=16),
              help="Articles on the demo site (at least 16).")
def demo(data: Path, sites: Path, serve: bool, port: int, site_port: int, articles: int) -> None:
    """Start the bundled demo news site on 127.0.0.1, crawl it offline, and fill DATA.

    Runs from any directory: its config is the project's config/sites/demo.toml unless
    --sites (or NEWSARCHIVE_SITES) names another directory.

    \b
    Example:
      newsarchive demo --data ./data --serve
    """
    from archive.demosite import DemoSite
    from crawler.runner import crawl_summary, run_crawl

    if click.get_current_context().get_parameter_source("sites") is ParameterSource.DEFAULT:
        sites = DEMO_SITES if DEMO_SITES.is_dir() else sites  # not in a checkout: ./config/sites
    _check_site(sites, "demo")
    if serve:
        port_free(port, "--port", "Datasette")  # before the crawl, not after it
    _check_data(data)
    site = DemoSite(n_articles=articles, port=site_port)
    try:
        site.start()
    except OSError as exc:
        raise click.BadParameter(f"cannot serve the demo site on 127.0.0.1:{site_port} ({exc}); "
                                 "is another demo running?", param_hint="--site-port") from None
    with site:
        click.echo(f"demo news site at {site.url}", err=True)
        # The demo server is ours and local: no politeness delay needed.
        stats = run_crawl("demo", data, sites, {"base_url": site.url},
                          {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False})
    click.echo(crawl_summary(stats), err=True)
    click.echo(f"WARC files in {data / 'warc'}, index in {data / 'index.db'}", err=True)
    if stats.get("newsarchive/outcome") != "ok":
        sys.exit(1)
    if serve:
        sys.exit(serve_datasette(data / "index.db", port))


@main.command()
@common_options
def verify(data: Path, sites: Path) -> None:
    """Check every WARC file in DATA/warc strictly; exit 1 and report what is wrong.

    Records without the digests WARC makes optional (another tool's) are noted, not failed;
    a digest that is given must hold.

    \b
    Example:
      newsarchive verify --data ./data
    """
    from archive.warc.verify import verify_directory

    report = verify_directory(data / "warc")
    click.echo(report.format())
    if not report.ok:
        sys.exit(1)


@main.command()
@common_options
@click.option("--rebuild", is_flag=True,
              help="Build a fresh index from all WARC files and put it in place of the old one.")
@click.option("--reextract", is_flag=True,
              help="Extract every article again from its archived response (after an upgrade); "
                   "a page's rel=canonical is adopted as the crawl does, by the site's config "
                   "in --sites.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar.")
def index(data: Path, sites: Path, rebuild: bool, reextract: bool, progress: bool) -> None:
    """Build or bring up to date DATA/index.db from the WARC files alone (idempotent); exit 1
    when it found problems (a damaged or unread WARC file), each named on its own line.

    A WARC file it does not read (uncompressed, in a subfolder of DATA/warc, not named in
    UTF-8) is a problem the run that finds it, and whenever it changes (size or modification
    time); while it stays as it was, later runs name it as a known problem and exit 0. A
    rebuild reports it anew.

    \b
    Example:
      newsarchive index --data ./data              # index what is new
      newsarchive index --rebuild --reextract      # start over with today's extractor
    """
    import logging

    from tqdm.contrib.logging import logging_redirect_tqdm

    from archive.index import IndexUnusable
    from archive.warc import salvage_directory

    warc_dir = data / "warc"
    if not warc_dir.is_dir():
        raise click.ClickException(f"no WARC directory at {warc_dir}: crawl something first")
    for result in salvage_directory(warc_dir):
        if not result.skipped:
            click.echo(f"salvaged: {result.message}", err=True)
    # A missing index is built beside and moved in place whole, as a rebuild is: the crawls
    # refuse to start while it is missing (DataDir.problem), and took a half-built one for
    # built, archiving again every article not indexed yet.
    rebuild = rebuild or not (data / "index.db").exists()
    article_urls, unread = _article_urls(sites) if reextract else (None, {})
    # What the library logs on the way (a page whose extraction timed out) is a line of its
    # own above the progress bar: unconfigured, Python printed the bare message into it.
    logging.basicConfig(format="%(levelname)s: %(message)s")
    try:
        with sigterm_as_ctrl_c(), logging_redirect_tqdm():
            stats = _index_data(data, warc_dir, rebuild, reextract, progress, article_urls)
    except KeyboardInterrupt as stop:
        click.echo("interrupted: " + (
            f"{data / 'index.db'} is as it was before the rebuild" if rebuild else
            "what was indexed so far is kept; `newsarchive index` again goes on from there"
        ), err=True)
        sys.exit(143 if isinstance(stop, Terminated) else 130)
    except (RuntimeError, IndexUnusable) as exc:  # IndexUnusable: another program's database
        raise click.ClickException(str(exc)) from None
    except (sqlite3.OperationalError, OSError) as exc:
        # A read-only data directory (a snapshot, a mounted share) or a full disk.
        raise click.ClickException(f"cannot write the index in {data}: {exc}") from None
    click.echo(stats.format(), err=True)
    if str(sites) not in unread:  # else that one warning said it of every site
        for site in stats.sites_without_config:
            if site not in unread:
                click.echo(f"warning: no config of site {site!r} in {sites}: its pages keep the "
                           "URLs they were stored under (no rel=canonical adopted)", err=True)
    if stats.problems:
        sys.exit(1)


def _article_urls(sites: Path) -> tuple[dict[str, Callable[[str], bool]], dict[str, str]]:
    """Each site's article URLs, by which re-extraction adopts a page's rel=canonical as the
    crawl does; a site whose config cannot be read keeps its pages where they were stored
    (said here, and returned: what could not be read, as article_url_tests says)."""
    tests, problems = article_url_tests(sites)
    for problem in problems.values():
        click.echo(f"warning: {problem}: pages keep the URLs they were stored under (no "
                   "rel=canonical adopted)", err=True)
    return tests, problems


def _index_data(data: Path, warc_dir: Path, rebuild: bool, reextract: bool, progress: bool,
                article_urls: dict[str, Callable[[str], bool]] | None) -> IndexStats:
    from archive.index import index_lock, index_warc_directory, rebuild_index
    from archive.index.database import refuse_foreign_file

    if rebuild:
        return rebuild_index(data / "index.db", warc_dir, reextract=reextract, progress=progress,
                             article_urls=article_urls)
    # Before the lock file: another program's directory gets nothing of ours written in it.
    refuse_foreign_file(data / "index.db")
    with index_lock(data / "index.db"):
        db = _open_index(data / "index.db")
        try:
            return index_warc_directory(db, warc_dir, reextract=reextract, progress=progress,
                                        article_urls=article_urls)
        finally:
            db.close()


@main.command()
@common_options
@click.argument("query")
@click.option("--limit", default=20, show_default=True, help="How many results.")
@click.option("--site", "site_name", default=None, help="Only articles of this site.")
def search(data: Path, sites: Path, query: str, limit: int, site_name: str | None) -> None:
    """Full-text search of the archived articles, best matches first.

    Every word must appear; "double quotes" make a phrase, and a word ending in * stands
    for the words that begin so (econom*).

    \b
    Example:
      newsarchive search '"central bank" rate' --limit 5
    """
    from archive.index import SearchQueryError
    from archive.index import search as search_index
    from archive.index.query import unknown_site_problem

    if not (data / "index.db").exists():
        raise click.ClickException(f"no index at {data / 'index.db'}: run a crawl or `newsarchive index`")
    db = _open_index(data / "index.db", read_only=True)
    try:
        hits = search_index(db, query, limit, site=site_name)
        unknown = None if hits else unknown_site_problem(db, site_name)
    except SearchQueryError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.close()
    if unknown:
        raise click.ClickException(unknown)
    if not hits:
        click.echo("no articles match", err=True)
        return
    # Archived text holds characters a non-UTF-8 terminal cannot show: shown as "?", no traceback.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")
    for number, hit in enumerate(hits, 1):
        # One line each: a snippet spans paragraphs, and a title may hold a line break.
        title = " ".join((hit.title or "(no title)").split())
        click.echo(f"{number:>3}. {title}  [{hit.site}, {(hit.published or '')[:10]}]")
        click.echo(f"     {hit.canonical_url}")
        click.echo(f"     {' '.join(hit.snippet.split())}")
        click.echo(f"     WARC {hit.warc_file} @ {hit.warc_offset}")


@main.command()
@common_options
@click.option("--schedule-file", type=GivenPath(dir_okay=False, path_type=Path), default=None,
              envvar="NEWSARCHIVE_SCHEDULE", show_envvar=True,
              help="Jobs that are not crawls, crawl settings, service options "
                   "[default: config/schedule.toml when it exists].")
def schedule(data: Path, sites: Path, schedule_file: Path | None) -> None:
    """Run every site's crawl on its `schedule` (cron) or `every` until SIGTERM or Ctrl-C.

    Each crawl runs as its own `scrapy crawl` subprocess, never two of one site at once
    (even across scheduler processes); a crawl missed while the scheduler was down runs once
    at start. On SIGTERM/Ctrl-C running crawls stop cleanly, then the command exits 0.
    Logs of each run go to DATA/logs/.

    \b
    Example:
      newsarchive schedule --data ./data --schedule-file config/schedule.toml
    """
    import logging

    from crawler.scheduler import SchedulerService

    if schedule_file is None and DEFAULT_SCHEDULE.exists():
        schedule_file = DEFAULT_SCHEDULE
    try:
        service = SchedulerService(data, sites, schedule_file)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    # As `crawl` does: an index that cannot be used (not a database, a newer schema, a full
    # disk) is a one-line error now, not a traceback from the service's first look at it.
    # A missing one is not: the crawls wait (logged) while an index task, or `newsarchive
    # index` by hand, builds it; refused here, the service never ran the task that would.
    from crawler.session import DataDir

    problem = DataDir(data).storage_problem()
    if problem:
        raise click.ClickException(problem)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    # The default is looked for in the working directory: a unit started elsewhere ran
    # without it (no tasks, no [settings]), and nothing said so.
    log = logging.getLogger("crawler.scheduler")
    if schedule_file is None:
        log.warning("no schedule file (%s is not in %s): no index or verify tasks, the default "
                    "[scheduler] options", DEFAULT_SCHEDULE, Path.cwd())
    else:
        log.info("schedule file: %s", schedule_file.resolve())
    # APScheduler reports every run and skip itself; the service logs them with their stats.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    sys.exit(service.run())


@main.command()
@common_options
@click.option("--site", "site_name", default=None, help="Only runs of this site.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 100_000),
              help="How many runs.")
def runs(data: Path, sites: Path, site_name: str | None, limit: int) -> None:
    """Recent crawl runs, latest first: site, start, duration, pages, articles, errors, outcome.

    \b
    Example:
      newsarchive runs --site demo --limit 5
    """
    from archive.index.query import unknown_site_problem
    from archive.index.runs import format_runs, recent_runs

    if not (data / "index.db").exists():
        raise click.ClickException(f"no index at {data / 'index.db'}: run a crawl first")
    db = _open_index(data / "index.db", read_only=True)
    try:
        found = recent_runs(db, site_name, limit)
        unknown = None if found else unknown_site_problem(db, site_name)
    finally:
        db.close()
    if unknown:
        raise click.ClickException(unknown)
    if not found:
        click.echo("no crawl runs" + (f" of {site_name!r}" if site_name else ""), err=True)
        return
    click.echo(format_runs(found))


if __name__ == "__main__":
    main()
