"""Options shared by refscope's commands."""

from __future__ import annotations

from pathlib import Path

import click

from . import db

DB_OPTION = click.option(
    "--db",
    "db_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="REFSCOPE_DB",
    default=str(db.DEFAULT_DB),
    show_default=True,
    help="DuckDB file (or set REFSCOPE_DB).",
)

# Where `refscope serve` appends its logs, and so what `refscope ingest` reads by default.
DEFAULT_LOG_DIR = Path("data/logs")
