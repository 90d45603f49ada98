"""Pieces of the `newsarchive` command's options and signals, shared by its commands."""

from __future__ import annotations

import contextlib
import functools
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click


class GivenPath(click.Path):
    """A path option that must not be empty: Path("") is the current directory, so `--data ""`
    (an unset shell variable) crawled into it and searched it."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value == "":
            self.fail("an empty path; give a path (`.` for the current directory)", param, ctx)
        return super().convert(value, param, ctx)


def common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--data and --sites, on every command, with their environment variables."""

    @click.option("--data", "data", type=GivenPath(file_okay=False, path_type=Path),
                  default="data", envvar="NEWSARCHIVE_DATA", show_default=True, show_envvar=True,
                  help="Data directory: WARC files in DATA/warc/, the index in DATA/index.db.")
    @click.option("--sites", "sites", type=GivenPath(file_okay=False, path_type=Path),
                  default="config/sites", envvar="NEWSARCHIVE_SITES", show_default=True,
                  show_envvar=True, help="Directory of site configs (<name>.toml).")
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return command(*args, **kwargs)

    return wrapper


class Terminated(KeyboardInterrupt):
    """SIGTERM, taken as a Ctrl-C."""


@contextlib.contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """SIGTERM stops the work as Ctrl-C does, cleaning up on the way: the scheduler stops an
    index task with SIGTERM, and a rebuild killed so left its half-built NAME.rebuild (and its
    -wal and -shm) beside the index."""
    def terminated(signum: int, frame: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
