"""The `refscope` command: each subcommand parses options, calls one function, maps errors."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
from rich.table import Table

from . import db, pipeline
from .errors import RefscopeError

PROGRESS_MIN_BYTES = 50 * 1024 * 1024  # below this an ingest is over before a bar helps

DB_OPTION = click.option(
    "--db",
    "db_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="REFSCOPE_DB",
    default=str(db.DEFAULT_DB),
    show_default=True,
    help="DuckDB file (or set REFSCOPE_DB).",
)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except RefscopeError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group)
@click.version_option(package_name="refscope")
def cli() -> None:
    """refscope: which Messenger entry points bring in contacts, and what they are worth."""


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@DB_OPTION
@click.option("--progress/--no-progress", default=None, help="Force the progress bar on or off.")
def ingest(paths: tuple[str, ...], db_file: Path, progress: bool | None) -> None:
    """Read webhook logs (files, directories, globs, .gz) into the database.

    Only bytes not read by an earlier run are read; running it twice changes nothing.
    """
    console = Console()
    show = console.is_terminal if progress is None else progress
    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not show,
    )
    task = bar.add_task("ingest", total=None)

    def on_plan(total: int) -> None:
        bar.update(task, total=total)
        if total >= PROGRESS_MIN_BYTES:
            bar.start()

    try:
        result = pipeline.run(
            list(paths), db_file, on_plan=on_plan, progress=lambda n: bar.advance(task, n)
        )
    finally:
        bar.stop()
    print_summary(console, result)


def print_summary(console: Console, r: pipeline.IngestResult) -> None:
    if r.files_read == 0:
        console.print(f"nothing new to read in {r.files} files ({r.seconds:.2f} s)")
        return
    console.print(
        f"run {r.run_id}: {r.files_read} of {r.files} files read, {r.lines:,} lines, "
        f"{r.events_parsed:,} events ({r.events_added:,} new, {r.duplicates:,} duplicates), "
        f"{r.rejects_added:,} rejects, {r.new_contacts:,} new contacts "
        f"in {r.seconds:.2f} s ({r.events_per_second:,.0f} events/s)"
    )
    for title, counts in (
        ("events by kind", r.events_by_kind),
        ("new contacts by channel", r.new_contacts_by_channel),
        ("rejects by reason", r.rejects_by_reason),
    ):
        if not counts:
            continue
        table = Table(title=title, title_justify="left", show_header=False, box=None)
        for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            table.add_row(key, f"{n:,}")
        console.print(table)


@cli.command("demo-data")
@click.option("--days", default=730, show_default=True, type=click.IntRange(1, 3650))
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: yesterday).")
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--scale", default=1.0, show_default=True, type=click.FloatRange(0.01, 100))
@click.option("--out", default="data/demo", show_default=True, type=click.Path(path_type=Path))
def demo_data(days: int, end: dt.datetime | None, seed: int, scale: float, out: Path) -> None:
    """Write realistic demo logs: the same for the same seed and end date."""
    from .demo import write_demo

    summary = write_demo(out, days=days, end=end.date() if end else None, seed=seed, scale=scale)
    click.echo(
        f"wrote {len(summary.files)} files, {summary.lines:,} lines "
        f"({summary.malformed_lines} malformed, {summary.duplicate_lines} retried) to {out}"
    )


@cli.command()
@DB_OPTION
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True)
def dashboard(db_file: Path, port: int, host: str) -> None:
    """Start the Streamlit dashboard on the database."""
    app = Path(__file__).resolve().parent.parent / "dashboard" / "streamlit_app.py"
    env = dict(os.environ, REFSCOPE_DB=str(db_file.resolve()))
    args = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.port", str(port), "--server.address", host,
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    click.echo(
        f"refscope dashboard on http://{'localhost' if host == '127.0.0.1' else host}:{port}"
    )
    os.execve(sys.executable, args, env)


def main() -> None:
    cli()
