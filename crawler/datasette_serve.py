"""`newsarchive demo --serve`: the archive served with Datasette, with the project's
metadata (config/datasette.yaml), on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import click

DATASETTE_CONFIG = Path(__file__).resolve().parents[1] / "config" / "datasette.yaml"


def port_free(port: int, option: str, what: str) -> None:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise click.BadParameter(f"{what} cannot listen on 127.0.0.1:{port} ({exc})",
                                     param_hint=option) from None


def serve_datasette(database: Path, port: int) -> int:
    """Serve `database` with Datasette until Ctrl-C; Datasette's exit status (0 after Ctrl-C)."""
    datasette = shutil.which("datasette") or str(Path(sys.executable).with_name("datasette"))
    command = [datasette, "serve", str(database), "--host", "127.0.0.1", "--port", str(port)]
    if DATASETTE_CONFIG.exists():
        command += ["--metadata", str(DATASETTE_CONFIG)]
    command += ["--setting", "suggest_facets", "off", "--setting", "sql_time_limit_ms", "3000"]
    click.echo(f"serving the archive at http://127.0.0.1:{port}/ (Ctrl-C to stop)", err=True)
    try:
        return subprocess.run(command, check=False).returncode
    except KeyboardInterrupt:  # Ctrl-C stops Datasette: a normal end
        return 0
