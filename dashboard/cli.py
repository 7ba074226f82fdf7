"""The `refscope` command with the dashboard's own subcommands added to ingest's click group.

ingest must never import dashboard, so the console script points here: this module imports
`ingest.cli.cli`, adds `report`, and runs it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import click
import duckdb

from dashboard.read_retry import read_retried
from ingest import db, lake
from ingest.attribute import CHANNELS
from ingest.cli import DB_OPTION, cli
from ingest.cli_codes import no_folder_left
from ingest.cli_options import AnyCase, IntegerRange, check_day, lake_folder, page_ids
from ingest.cli_stop import exits_when_stopped
from ingest.terminal import say

__all__ = ["cli", "main"]

DEFAULT_DAYS = 28  # the dashboard's default range, "Last 28 days"
# reports.REPORT_FORMATS, spelled out so other commands don't pay for importing plotly & co.
FORMATS = ("pdf", "xlsx", "html")
T = TypeVar("T")
SUFFIXES = {".pdf": "pdf", ".xlsx": "xlsx", ".html": "html", ".htm": "html"}


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


@cli.command()
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]),
              help="First day (default: --days days up to --to).")  # fmt: skip
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]),
              help="Last day (default: the newest whole UTC day with events).")  # fmt: skip
@click.option("--days", type=IntegerRange(1, 3650),
              help=f"Days in the range, instead of --from (rolling, for cron)  [default: "
                   f"{DEFAULT_DAYS}]")  # fmt: skip
@click.option("--page", "pages", multiple=True, callback=page_ids,
              help="Page id; repeat for several (default: all).")  # fmt: skip
# In any case, as `links create --channel`: QR_Code is qr_code.
@click.option("--channel", "channels", multiple=True,
              type=AnyCase(list(CHANNELS)),
              help="Channel; repeat for several (default: all).")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="Default: from --out's suffix (.pdf, .xlsx, .html or .htm); without "
                   "--out, pdf.")  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Default: refscope-report-<from>-<to>.<format>.")  # fmt: skip
@DB_OPTION
@click.option("--lake", "lake_dir", type=click.Path(file_okay=False), callback=lake_folder,
              help="Read the Parquet lake written by `ingest --lake` instead of a database "
                   "(as `dashboard --lake`).")  # fmt: skip
def report(start: dt.datetime | None, end: dt.datetime | None, days: int | None,
           pages: tuple[str, ...], channels: tuple[str, ...], fmt: str | None,
           out: Path | None, db_file: Path, lake_dir: Path | None) -> None:  # fmt: skip
    """Write a period report: KPIs against the previous period, new contacts per day by
    channel, per product (when some came through one), top refs and QR placements, ads with
    cost per contact, the comment funnel and retention by channel.

    PDF needs Chromium for its charts; HTML (charts included, opens offline) and XLSX do not.
    """
    named = SUFFIXES.get(out.suffix.lower()) if out else None
    if fmt is not None and named is not None and named != fmt:
        # an XLSX file named .pdf opens in nothing
        raise click.BadParameter(
            f"{out} is named as {named}, not {fmt}: give --out a .{fmt} name, or leave out "
            "--format", param_hint="--out"
        )  # fmt: skip
    if fmt is None:
        fmt = named if out else "pdf"
        if fmt is None:
            raise click.BadParameter(
                f"cannot tell the format from {out}; give --format "
                f"({', '.join(FORMATS)})", param_hint="--out"
            )  # fmt: skip
    if out is not None:
        _check_out(out, db_file)
    with exits_when_stopped("stopped before writing the report: nothing was written") as stop:
        from dashboard import queries, reports
        from dashboard.filters import Filters

        if start is not None and days is not None:
            raise click.UsageError("--from and --days both set the first day: give one of them")
        given = click.get_current_context().get_parameter_source("db_file")
        if lake_dir is not None and given is click.core.ParameterSource.COMMANDLINE:
            raise click.UsageError("--db and --lake both name what to read: give one of them")
        for value, option in ((start, "--from"), (end, "--to")):
            if value is not None:
                check_day(value.date(), option)

        def read(con: duckdb.DuckDBPyConnection) -> tuple[Filters, str | None, reports.Report]:
            _check_refscope(con, lake_dir or db_file)
            last = _day(end) or queries.newest_day(con) or dt.datetime.now(dt.UTC).date()
            first = _day(start) or last - dt.timedelta(days=(days or DEFAULT_DAYS) - 1)
            if first > last:
                to = "--to" if end else "the newest whole day with events; give --to"
                raise click.BadParameter(f"{first} is after {last} ({to})", param_hint="--from")
            first, moved = _after_prune(con, first, last)
            _check_pages(con, pages)
            # Each once, as a dashboard link naming one twice: the report named it twice.
            filters = Filters(first, last, tuple(dict.fromkeys(pages)),
                              tuple(dict.fromkeys(channels)))  # fmt: skip
            return filters, moved, reports.gather(reports.connection_fetch(con), filters, lake_dir)

        filters, moved, result = _read(db_file, lake_dir, read)
        first, last = filters.start, filters.end
        if moved:
            click.echo(moved, err=True)
        data = reports.render(result, fmt)
        out = out or Path(reports.report_file_name(filters, fmt))
        with no_folder_left(out.parent, stop):  # stopped as it writes: no folder it made
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError) as exc:  # said as 'File exists' alone
                why = f"{exc.strerror}: {db.NOT_A_FOLDER}"
                raise click.ClickException(
                    f"{out}: cannot make its folder {out.parent}: {why}"
                ) from exc
            _write(out, data)
        stop.said = f"stopped: {out} is written whole"
        say(None, "wrote {} ({}, {} – {}, {:,} bytes)", out, fmt, str(first), str(last), len(data))
        if not result.has_data:
            click.echo(result.no_data_message, err=True)


def _check_out(out: Path, db_file: Path) -> None:
    """Refuse an --out that is the database (by any name of it) or its write-ahead log: the
    report would replace it, and DuckDB would read a report as the log at the next open."""
    wal = "the write-ahead log of the database"
    for target, what in ((db_file, "the database"), (db.wal(db_file), wal)):
        if _same_file(out, target):
            raise click.BadParameter(
                f"{out} is {what} this report reads; --out names the report's own file",
                param_hint="--out",
            )


def _same_file(a: Path, b: Path) -> bool:
    """Whether a and b name one file: the same path (links and `..` resolved), or a hard link."""
    try:
        if a.resolve() == b.resolve():
            return True
        return os.path.samefile(a, b)
    except OSError:  # one of them is not there (or unreadable): not one file
        return False


def _write(out: Path, data: bytes) -> None:
    """The report into out; one the disk took only part of (full, a file size limit) or a stop
    (Ctrl-C, SIGTERM) cut short is removed, not left as a report cut short, and the error (or
    the stop's line) names it."""
    fh = open(out, "wb")  # one it may not create: the group's one line names it
    try:
        with fh:  # its close writes what is left: a full disk fails there too
            fh.write(data)
    except BaseException as exc:
        out.unlink(missing_ok=True)
        if not isinstance(exc, OSError):
            raise  # a stop: the command says that nothing was written
        raise click.ClickException(
            f"{out}: cannot write the report: {exc.strerror or exc}; nothing written"
        ) from exc


def _check_refscope(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse another program's DuckDB file (--db naming the wrong one) in one line, as the
    dashboard does, before any query fails on a table it lacks."""
    from dashboard import queries

    with db.refscope_tables(con, path):  # a file that holds nothing: NoDataYet, said as EMPTY
        queries.newest_day(con)
        queries.last_run_id(con)


def _check_pages(con: duckdb.DuckDBPyConnection, pages: tuple[str, ...]) -> None:
    """Refuse a page id nothing in the data knows: its report would be empty, and look like
    a page with no contacts rather than a typo."""
    from dashboard import queries

    unknown = queries.unknown_pages(con, list(pages))
    if unknown:
        known = queries.page_list(con)
        # A label naming its id already (pages of one name, page_list) is given as a name.
        pairs = ((p, label.removesuffix(f" ({p})"))
                 for p, label in zip(known.page_id, known.label, strict=True))  # fmt: skip
        names = ", ".join(p if p == label else f"{p} ({label})" for p, label in pairs)
        raise click.BadParameter(
            f"no page {', '.join(unknown)} in the data (pages: {names or 'none yet'})",
            param_hint="--page",
        )


def _after_prune(
    con: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date
) -> tuple[dt.date, str | None]:
    """The report's first day, moved to the last prune's date when the range starts before it
    (as the dashboard's ranges do), and the line that says so: before it only the contacts
    still active after it are left, so those days' totals would contradict each other."""
    from dashboard import queries

    pruned = queries.last_prune(con)
    if pruned is None or first >= pruned:
        return first, None
    if last < pruned:
        raise click.BadParameter(
            f"{first} – {last} is before {pruned}, the date the data was pruned from "
            "(`refscope prune`): only the contacts still active after it are left",
            param_hint="--from/--to",
        )
    return pruned, f"the report starts on {pruned}, not {first}: the data before it was pruned"


def _read(
    db_file: Path, lake_dir: Path | None, read: Callable[[duckdb.DuckDBPyConnection], T]
) -> T:
    """read on the database or the lake, read again when a file changed under it (as the
    dashboard's views are: read_retry): an ingest took the database between reads, or an
    `ingest --lake` replaced or removed a Parquet file."""
    return read_retried(lambda: _reading(db_file, lake_dir), read, lake_dir is not None)


@contextmanager
def _reading(db_file: Path, lake_dir: Path | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The database read-only, or with a lake its Parquet files under the tables' names (its
    views read the files' footers)."""
    if lake_dir is None:
        con = db.connect(db_file, read_only=True)
    elif not (lake_dir / lake.MANIFEST).exists():
        raise click.ClickException(f"{lake_dir}: no lake here; run `refscope ingest --lake`")
    else:
        con = db.connect_memory()
        try:
            lake.attach_views(con, lake_dir)
        except BaseException:
            con.close()
            raise
    try:
        yield con
    finally:
        con.close()


def main() -> None:
    cli()
