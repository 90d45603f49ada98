"""The schedule: `config/schedule.toml` validated, and when each site crawl and task is due."""

from __future__ import annotations

import json
import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Annotated, Any, Literal

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic import model_validator as model_check

from archive.config import SITE_NAME, SiteConfig, parse_duration, read_toml, validated
from archive.cron import check_cron, cron_trigger

# Settings the scheduler itself gives every crawl: a schedule file may not override them.
RESERVED_SETTINGS = ("NEWSARCHIVE_DATA", "NEWSARCHIVE_SITES", "NEWSARCHIVE_RUN_ID")
_SETTING_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _positive_duration(value: str) -> str:
    if not parse_duration(value):
        raise ValueError(f"{value!r} is no time at all: give a duration like '30s', '30m' or '2h'")
    return value


def _timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a time zone name like 'UTC' or 'Europe/Berlin'") from None
    return value


Duration = Annotated[str, AfterValidator(_positive_duration)]
Cron = Annotated[str, AfterValidator(check_cron)]


class SchedulerOptions(BaseModel):
    """`[scheduler]`: how the service itself behaves."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Cron schedules are read in this zone; the machine's local zone when unset.
    timezone: Annotated[str, AfterValidator(_timezone)] | None = None
    # After SIGTERM/Ctrl-C, running crawls get this long to stop cleanly before SIGKILL.
    shutdown_timeout: Duration = "60s"
    # A lease not renewed for this long belongs to a scheduler that is gone.
    lease_ttl: Duration = "60s"
    # How late a run may start (suspend, busy machine) and still run, once; unset = however late.
    # APScheduler's own default, 1 s, silently drops such runs.
    misfire_grace_time: Duration | None = None
    # How many crawls run at once; the others due meanwhile wait for their turn. Each crawl is
    # a Scrapy process with its own extraction workers: thirty sites due in one minute started
    # thirty of them at once.
    max_crawls: Annotated[int, Field(ge=1)] = 4
    # Each run's log in DATA/logs/ is removed this long after it was last written: one file
    # per run, thirty sites every ten minutes made 130,000 a month, kept for ever.
    keep_logs: Duration = "30d"


class TaskJob(BaseModel):
    """`[jobs.<name>]`: a job that is not a crawl."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: Literal["index", "verify"] = Field(
        description="index: bring DATA/index.db up to date; verify: check every WARC file")
    schedule: Cron | None = None
    every: Duration | None = None

    @model_check(mode="after")
    def _one_timing(self) -> TaskJob:
        if bool(self.schedule) == bool(self.every):
            raise ValueError("give exactly one of schedule (cron) or every (e.g. '1h')")
        return self


SettingValue = str | bool | int | float


class ScheduleFile(BaseModel):
    """What an operator writes in `config/schedule.toml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scheduler: SchedulerOptions = Field(default_factory=SchedulerOptions)
    # Extra Scrapy settings for every scheduled crawl, e.g. DOWNLOAD_DELAY = 1.
    settings: dict[str, SettingValue] = {}
    jobs: dict[str, TaskJob] = {}

    @field_validator("settings", mode="before")
    @classmethod
    def _scalar_settings(cls, values: Any) -> Any:
        # A table or array was four errors at once, one per type the value is not.
        for name, value in values.items() if isinstance(values, dict) else ():
            wrong = f"{name} is not a string, number or true/false"
            if isinstance(value, dict):  # a mapping setting (ITEM_PIPELINES) as a TOML table
                # The table given, as JSON: one fixed example ('{"x.Pipeline": 300}') was
                # another setting's, and FEEDS written so failed the crawls.
                example = json.dumps(value, default=str)
                raise ValueError(f"{wrong} (a mapping goes as JSON in a string: {name} = '{example}')")
            if not isinstance(value, str | bool | int | float):
                raise ValueError(wrong)
        return values

    @field_validator("settings")
    @classmethod
    def _settings(cls, values: dict[str, SettingValue]) -> dict[str, SettingValue]:
        for name in values:
            if not _SETTING_NAME.match(name):
                raise ValueError(f"{name!r} is not a Scrapy setting name (like DOWNLOAD_DELAY)")
            if name in RESERVED_SETTINGS:
                raise ValueError(f"{name} is set by the scheduler itself (use --data / --sites)")
        return values

    @field_validator("jobs")
    @classmethod
    def _job_names(cls, values: dict[str, TaskJob]) -> dict[str, TaskJob]:
        for name in values:
            if not SITE_NAME.match(name):
                raise ValueError(f"{name!r} is not a valid job name (lowercase letters, digits, '-', '_')")
        return values

    def scrapy_settings(self) -> list[str]:
        """The settings as `NAME=VALUE` for `scrapy crawl -s`."""
        return [f"{name}={value}" for name, value in self.settings.items()]


def load_schedule(path: Path | None) -> ScheduleFile:
    """Read and validate a schedule file (None: the defaults); ConfigError names file and field."""
    if path is None:
        return ScheduleFile()
    return validated(ScheduleFile, read_toml(path), path)


@dataclass(frozen=True)
class PlannedJob:
    """One recurring job of the service: a crawl of a site, or a task from the schedule file."""

    id: str                     # "crawl:<site>" or "task:<name>"; also the name of its lease
    kind: str                   # "crawl", or the task ("index", "verify")
    target: str                 # the site name, or the job's name in the schedule file
    schedule: str | None        # cron expression
    every: timedelta | None

    @property
    def timing(self) -> str:
        if self.every is not None:
            return f"every {_format_seconds(self.every)}"
        return f"cron {self.schedule!r}"

    def trigger(self, timezone: tzinfo, start_date: datetime | None = None) -> BaseTrigger:
        """The APScheduler trigger; an interval counts from start_date (default: from now)."""
        if self.every is not None:
            return IntervalTrigger(seconds=self.every.total_seconds(), start_date=start_date,
                                   timezone=timezone)
        assert self.schedule is not None
        return cron_trigger(self.schedule, timezone)


def _format_seconds(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def plan_jobs(sites: dict[str, SiteConfig], schedule: ScheduleFile) -> list[PlannedJob]:
    """Every site with `schedule` or `every`, then every task of the schedule file."""
    jobs = [
        PlannedJob(f"crawl:{name}", "crawl", name, site.schedule,
                   parse_duration(site.every) if site.every else None)
        for name, site in sorted(sites.items()) if site.schedule or site.every
    ]
    jobs += [
        PlannedJob(f"task:{name}", task.task, name, task.schedule,
                   parse_duration(task.every) if task.every else None)
        for name, task in sorted(schedule.jobs.items())
    ]
    return jobs


@dataclass(frozen=True)
class FirstRun:
    """How a job starts when the service starts."""

    trigger: BaseTrigger
    missed: datetime | None     # a run due at this time never started: run once, now


def first_run(job: PlannedJob, last_started: datetime | None, now: datetime,
              timezone: tzinfo, *, interrupted: bool = False) -> FirstRun:
    """Decide from the last recorded start whether a run was missed while nothing was running.

    An interval is due `every` after the last start (at once when there never was one); a
    cron schedule at its first time after the last start (never run: not missed, it waits
    for its time). However many runs were missed, one runs: they are coalesced. A last run
    that was `interrupted` (the service stopped under it) did not make its crawl: it runs
    again at once, where a weekly crawl cut short by a restart waited a week.
    """
    if interrupted and last_started is not None:
        return FirstRun(job.trigger(timezone), missed=last_started)
    if job.every is not None:
        if last_started is None:
            return FirstRun(job.trigger(timezone), missed=now)
        due = last_started + job.every
        if due <= now:
            return FirstRun(job.trigger(timezone), missed=due)
        # Keep the rhythm of the last run: the next one is `every` after it.
        return FirstRun(job.trigger(timezone, start_date=due), missed=None)
    trigger = job.trigger(timezone)
    if last_started is None:
        return FirstRun(trigger, missed=None)
    # The first fire time strictly after the last start: get_next_fire_time counts `now` itself.
    due = trigger.get_next_fire_time(None, last_started + timedelta(microseconds=1))
    return FirstRun(trigger, missed=due if due is not None and due <= now else None)
