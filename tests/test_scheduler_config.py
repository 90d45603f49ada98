"""Schedules without running them: cron syntax, config/schedule.toml errors, missed-run decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.config import ConfigError, SiteConfig, load_site, load_sites
from archive.cron import cron_trigger, crontab_day_of_week
from archive.schedule import PlannedJob, first_run, load_schedule, plan_jobs
from crawler.cli import main

ROOT = Path(__file__).resolve().parents[1]
SITE = """\
allowed_domains = ["example.com"]
feeds = ["https://example.com/rss.xml"]
article_patterns = ['/news/']
"""
NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)  # a Saturday


def site_file(tmp_path: Path, timing: str, name: str = "example") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(SITE + timing + "\n", encoding="utf-8")
    return path


def schedule_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schedule.toml"
    path.write_text(text, encoding="utf-8")
    return path


def next_fire(expr: str, after: datetime = NOW) -> datetime:
    fire = cron_trigger(expr, UTC).get_next_fire_time(None, after)
    assert fire is not None
    return fire


# -- cron -------------------------------------------------------------------------------

@pytest.mark.parametrize(("expr", "weekday"), [
    ("0 3 * * 0", "Sunday"), ("0 3 * * 7", "Sunday"), ("0 3 * * 1", "Monday"),
    ("0 3 * * sun", "Sunday"), ("0 3 * * 6", "Saturday"),
])
def test_cron_weekdays_count_from_sunday_like_crontab(expr: str, weekday: str) -> None:
    # APScheduler 3's own from_crontab would run "0 3 * * 0" on Mondays (its issue 286).
    assert next_fire(expr, NOW + timedelta(days=1)).strftime("%A") == weekday


@pytest.mark.parametrize(("field", "days"), [
    ("1-5", "mon,tue,wed,thu,fri"), ("mon-fri", "mon,tue,wed,thu,fri"), ("*/2", "sun,tue,thu,sat"),
    ("0,6", "sun,sat"), ("5-7", "sun,fri,sat"), ("*", "*"),
])
def test_crontab_day_of_week_fields(field: str, days: str) -> None:
    assert crontab_day_of_week(field) == days


def test_cron_every_thirty_minutes() -> None:
    assert next_fire("*/30 * * * *", NOW + timedelta(minutes=1)) == NOW + timedelta(minutes=30)


@pytest.mark.parametrize(("named", "numbered"), [
    ("0 3 1 jan-dec/2 *", "0 3 1 1-12/2 *"),  # APScheduler 3 dropped the step: every month
    ("0 3 1 feb/2 *", "0 3 1 2-12/2 *"),
    ("0 3 1 JAN-jun/2,dec *", "0 3 1 1-6/2,12 *"),
])
def test_month_names_mean_what_their_numbers_mean(named: str, numbered: str) -> None:
    def fires(expr: str) -> list[str]:
        trigger, when = cron_trigger(expr, "UTC"), datetime(2026, 1, 1, tzinfo=UTC)
        out = []
        for _ in range(8):
            when = trigger.get_next_fire_time(None, when + timedelta(minutes=1))
            out.append(when.strftime("%Y-%m"))
        return out

    assert fires(named) == fires(numbered)
    assert len(set(fires(named))) == 8 and fires(named)[1] != "2026-02"


@pytest.mark.parametrize(("nickname", "expr"), [
    ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * 0"), ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"),
    ("@hourly", "0 * * * *"), (" @daily ", "0 0 * * *"),
])
def test_crontab_nicknames_mean_their_five_fields(nickname: str, expr: str) -> None:
    # crontab(5) takes them; they were refused ("it has 1 fields").
    when = NOW
    for _ in range(3):
        assert next_fire(nickname, when) == next_fire(expr, when)
        when = next_fire(expr, when) + timedelta(seconds=1)


def test_a_schedule_file_and_a_site_take_crontab_nicknames(tmp_path: Path) -> None:
    nightly = '[jobs.nightly]\ntask = "verify"\nschedule = "@daily"\n'
    schedule = load_schedule(schedule_file(tmp_path, nightly))
    assert schedule.jobs["nightly"].schedule == "@daily"
    assert load_site(site_file(tmp_path, 'schedule = "@weekly"')).schedule == "@weekly"


@pytest.mark.parametrize(("expr", "message"), [
    ("* * * *", "'* * * *' is not a cron expression: it has 4 fields, cron has 5"),
    ("0 3 * * 8", "'0 3 * * 8': '8' is not a day of the week (0-7 or sun-sat)"),
    ("0 3 1 * mon", "'0 3 1 * mon': restrict the day of the month or the day of the week, not both"),
    ("0 25 * * *", "'0 25 * * *' is not a valid cron expression (Error validating expression '25'"),
    # APScheduler 3 matches these loosely: "lastx" passed as its "last" (no crontab has it).
    ("0 3 lastx * *", "'0 3 lastx * *': 'lastx' is not a crontab day-of-month field"),
    ("0 3 L * *", "'0 3 L * *': 'L' is not a crontab day-of-month field"),
    ("0 3 1 foo *", "'0 3 1 foo *': 'foo' is not a month (1-12 or jan-dec)"),
    ("@reboot", "'@reboot' has no meaning for the scheduler: it runs crawls at times"),
    ("@fortnightly", "'@fortnightly' is not a cron expression: crontab's nicknames are @yearly"),
])
def test_bad_cron_expressions(expr: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        cron_trigger(expr)
    assert str(info.value).startswith(message)


# -- site configs -----------------------------------------------------------------------

def test_site_with_bad_cron_names_file_and_field(tmp_path: Path) -> None:
    path = site_file(tmp_path, 'schedule = "*/61 * * * *"')
    with pytest.raises(ConfigError) as info:
        load_site(path)
    assert str(info.value) == (
        f"{path}: schedule: '*/61 * * * *' is not a valid cron expression (Error validating "
        "expression '*/61': the step value (61) is higher than the total range of the expression (59))"
    )


def test_site_whose_cron_never_fires_names_file_and_field(tmp_path: Path) -> None:
    # 30 February: accepted, and the service then logged "next run None" and did nothing.
    path = site_file(tmp_path, 'schedule = "0 3 30 2 *"')
    with pytest.raises(ConfigError) as info:
        load_site(path)
    assert str(info.value) == f"{path}: schedule: '0 3 30 2 *' never matches a date"
    load_site(site_file(tmp_path, 'schedule = "0 0 29 2 *"'))  # leap days do come


def test_site_every_must_be_a_positive_duration(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"every: '0s' is no time at all"):
        load_site(site_file(tmp_path, 'every = "0s"'))
    with pytest.raises(ConfigError, match=r"every: 'hourly' is not a duration like"):
        load_site(site_file(tmp_path, 'every = "hourly"'))


def test_shipped_configs_are_valid() -> None:
    schedule = load_schedule(ROOT / "config" / "schedule.toml")
    jobs = plan_jobs(load_sites(ROOT / "config" / "sites"), schedule)
    assert {job.id for job in jobs} >= {"task:index", "task:verify-warc"}


# -- config/schedule.toml ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ('[scheduler]\nshutdown = "1m"\n', "scheduler.shutdown: unknown key"),
    ('[scheduler]\nshutdown_timeout = "soon"\n', "scheduler.shutdown_timeout: 'soon' is not a duration"),
    ('[scheduler]\ntimezone = "Mars/Olympus"\n', "scheduler.timezone: 'Mars/Olympus' is not a time zone"),
    ("[scheduler]\nmax_crawls = 0\n", "scheduler.max_crawls: Input should be greater than or equal to 1"),
    ('[jobs.nightly]\ntask = "reindex"\nevery = "1d"\n',
     "jobs.nightly.task: Input should be 'index' or 'verify'"),
    ('[jobs.nightly]\ntask = "verify"\n', "jobs.nightly: give exactly one of schedule (cron) or every"),
    ('[jobs.nightly]\ntask = "verify"\nschedule = "0 3 * *"\n',
     "jobs.nightly.schedule: '0 3 * *' is not a cron expression: it has 4 fields"),
    ('[jobs.Nightly]\ntask = "verify"\nevery = "1d"\n', "jobs: 'Nightly' is not a valid job name"),
    ('[settings]\nNEWSARCHIVE_DATA = "/tmp"\n', "settings: NEWSARCHIVE_DATA is set by the scheduler"),
    ('[settings]\ndownload_delay = 1\n', "settings: 'download_delay' is not a Scrapy setting name"),
    # A table or array was four errors at once, one per type the value is not.
    ('[settings]\nITEM_PIPELINES = {"x.Pipeline" = 300}\n',
     "settings: ITEM_PIPELINES is not a string, number or true/false (a mapping goes as JSON "
     """in a string: ITEM_PIPELINES = '{"x.Pipeline": 300}')"""),
    ('[settings]\nDOWNLOAD_DELAY = [1]\n', "settings: DOWNLOAD_DELAY is not a string, number or"),
    # The JSON of the table given, not another setting's example (a pipeline as a feed's URI).
    ('[settings.FEEDS]\n"items.jsonl" = {format = "jsonlines"}\n',
     "settings: FEEDS is not a string, number or true/false (a mapping goes as JSON in a "
     """string: FEEDS = '{"items.jsonl": {"format": "jsonlines"}}')"""),
    ("[jobs\n", "not valid TOML"),
])
def test_bad_schedule_file_names_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = schedule_file(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_schedule(path)
    assert str(info.value).startswith(f"{path}: {message}"), info.value


def test_schedule_settings_become_crawl_settings(tmp_path: Path) -> None:
    path = schedule_file(tmp_path, '[settings]\nDOWNLOAD_DELAY = 0\nAUTOTHROTTLE_ENABLED = false\n')
    assert load_schedule(path).scrapy_settings() == ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False"]


def test_cli_schedule_reports_config_errors(tmp_path: Path) -> None:
    sites = tmp_path / "sites"
    sites.mkdir()
    site_file(sites, 'every = "2s"')
    bad = schedule_file(tmp_path, '[jobs.x]\ntask = "index"\nevery = "2"\n')
    runner = CliRunner()
    result = runner.invoke(main, ["schedule", "--data", str(tmp_path / "data"), "--sites", str(sites),
                                  "--schedule-file", str(bad)])
    assert result.exit_code == 1
    assert f"Error: {bad}: jobs.x.every: '2' is not a duration like" in result.output
    (sites / "example.toml").write_text(SITE, encoding="utf-8")
    result = runner.invoke(main, ["schedule", "--data", str(tmp_path / "data"), "--sites", str(sites),
                                  "--schedule-file", str(schedule_file(tmp_path, ""))])
    assert result.exit_code == 1
    assert "nothing to schedule: give a site `schedule` (cron) or `every`" in result.output



def test_cli_schedule_names_a_mapping_setting_given_something_else(tmp_path: Path) -> None:
    sites = tmp_path / "sites"
    sites.mkdir()
    site_file(sites, 'every = "2h"')
    bad = schedule_file(tmp_path, "[settings]\nFEEDS = 1\n")  # was a TypeError traceback
    result = CliRunner().invoke(main, ["schedule", "--data", str(tmp_path / "data"),
                                       "--sites", str(sites), "--schedule-file", str(bad)])
    assert result.exit_code == 1, result.output
    assert f"Error: {bad}: settings: setting FEEDS='1' is not a JSON object" in result.output


# -- when the first run comes -------------------------------------------------------------

def crawl(every: str | None = None, schedule: str | None = None) -> PlannedJob:
    site = SiteConfig.model_validate({
        "name": "demo", "allowed_domains": ["example.com"], "feeds": ["https://example.com/rss"],
        "article_patterns": ["/news/"], "every": every, "schedule": schedule,
    })
    [job] = plan_jobs({"demo": site}, load_schedule(None))
    return job


def test_seconds_intervals_are_honoured() -> None:
    job = crawl(every="2s")
    assert job.every == timedelta(seconds=2) and job.timing == "every 2s"
    trigger = job.trigger(UTC, start_date=NOW)
    assert trigger.get_next_fire_time(NOW, NOW) == NOW + timedelta(seconds=2)


def test_interval_never_run_runs_now() -> None:
    assert first_run(crawl(every="2h"), None, NOW, UTC).missed == NOW


def test_interval_keeps_the_rhythm_of_the_last_run() -> None:
    first = first_run(crawl(every="2h"), NOW - timedelta(minutes=30), NOW, UTC)
    assert first.missed is None
    assert first.trigger.get_next_fire_time(None, NOW) == NOW + timedelta(minutes=90)


def test_interval_missed_while_down_runs_once() -> None:
    first = first_run(crawl(every="2h"), NOW - timedelta(hours=7), NOW, UTC)
    assert first.missed == NOW - timedelta(hours=5)


def test_an_interrupted_last_run_runs_again_at_once() -> None:
    """A weekly crawl the service's restart cut short did not make its crawl: it runs now."""
    cut = NOW - timedelta(minutes=5)
    weekly = crawl(every="7d")
    assert first_run(weekly, cut, NOW, UTC).missed is None  # finished: next week
    assert first_run(weekly, cut, NOW, UTC, interrupted=True).missed == cut
    nightly = crawl(schedule="0 3 * * *")
    assert first_run(nightly, cut, NOW, UTC, interrupted=True).missed == cut
    assert first_run(nightly, None, NOW, UTC, interrupted=True).missed is None


def test_cron_missed_since_last_run() -> None:
    job = crawl(schedule="0 3 * * *")
    assert first_run(job, None, NOW, UTC).missed is None  # never run: wait for 03:00
    assert first_run(job, NOW - timedelta(hours=8), NOW, UTC).missed is None  # ran at 04:00 today
    on_time = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # started exactly when due: not missed
    assert first_run(job, on_time, NOW, UTC).missed is None
    missed = first_run(job, NOW - timedelta(days=3), NOW, UTC).missed
    assert missed == datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # the first of three missed runs
