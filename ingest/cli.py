"""The `refscope` command: each subcommand parses options, calls one function, maps errors."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import click
from rich.console import Console

from . import db, db_cleanup, preflight, spills
from .cli_ingest_stops import BEFORE_READING, COMMITTED, FOLLOW_STOPPED_AGAIN, Said
from .cli_links import links, pages
from .cli_options import (
    DB_OPTION,
    DEFAULT_LOG_DIR,
    IntegerRange,
    NumberRange,
    check_day,
    lake_option,
)
from .cli_progress import ReadBar, Stages
from .cli_pull import pull
from .cli_rebuild import rebuild
from .cli_retention import forget, prune
from .cli_serve import dashboard, serve
from .cli_stop import Stop, keep_on_sighup, stop_on_signals
from .errors import RefscopeError
from .summary import notices, print_lake, print_spilled, print_summary, print_warnings
from .terminal import say
from .wording import counted, shown


def one_line(text: str) -> str:
    """An error message on one line: a server's HTML answer quoted in one keeps no breaks.

    Only line breaks and the blanks around them become one space: a quoted value keeps its
    own runs of spaces ('a  b' is not shown as 'a b')."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def os_error_message(exc: OSError) -> str:
    """'PATH: reason' of a file the command could not create, open or write."""
    where = ": ".join(str(x) for x in (exc.filename, exc.filename2) if x is not None)
    reason = exc.strerror or str(exc)
    return f"{where}: {reason}" if where else reason


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            try:
                return super().invoke(ctx)
            except RefscopeError as exc:
                raise click.ClickException(one_line(str(exc))) from exc
            except BrokenPipeError:
                raise  # the reader went away (`| head`): nothing to tell it
            except OSError as exc:
                # A folder it may not create, a file it may not write: one line, no traceback.
                raise click.ClickException(one_line(os_error_message(exc))) from exc
            except Exception as exc:
                if not db.damaged(exc):
                    raise
                raise click.ClickException(one_line(f"{exc}: {db.DAMAGED}")) from exc
        except click.ClickException as exc:
            # A file name, a URL, a value from the data: an ESC in it must not drive the terminal.
            exc.message = "\n".join(map(shown, exc.message.split("\n")))  # type: ignore[misc]
            raise


@click.group(cls=_Group)
@click.version_option(package_name="refscope")
def cli() -> None:
    """refscope: which Messenger entry points bring in contacts, and what they are worth."""
    db.on_lock_wait = _say_lock_wait


def _say_lock_wait(path: Path, seconds: float) -> None:
    say(None, "{}: locked by another process (a refscope command, or a session that has it "
        "open: a read-only one too); waiting up to {:.0f} s more", path, seconds,
        err=True)  # fmt: skip


@cli.command()
@click.argument("paths", nargs=-1)
@DB_OPTION
@click.option("--progress/--no-progress", default=None,
              help="Force the progress bar on or off (default: on a terminal, for 50 MB or "
              "more).")  # fmt: skip
@click.option("--keep-text", is_flag=True, default=None,
              help="Also store message text (default: type, length and attachment kinds only; "
              "or set REFSCOPE_KEEP_TEXT=1).")  # fmt: skip
@lake_option("Also keep a hive-partitioned Parquet copy of the tables here (or REFSCOPE_LAKE).")
@click.option("--follow", is_flag=True, help="Keep running: read new lines as they arrive.")
@click.option("--interval", default=5.0, show_default=True, type=NumberRange(0.1, 3600),
              help="Seconds between reads with --follow.")  # fmt: skip
def ingest(
    paths: tuple[str, ...],
    db_file: Path,
    progress: bool | None,
    keep_text: bool | None,
    lake_dir: Path | None,
    follow: bool,
    interval: float,
) -> None:
    """Read webhook, click and ad insights logs (files, directories, globs, .gz) into the database.

    Without PATHS it reads data/logs, where `refscope serve` writes. Only bytes not read by an
    earlier run are read; running it twice changes nothing. With --follow it keeps reading what
    the receiver appends, holding the database only while it loads, so the dashboard stays
    current.
    """
    from . import pipeline  # Arrow and NumPy: a tenth of a second other commands do not wait for

    source = click.get_current_context().get_parameter_source("interval")
    if not follow and source is click.core.ParameterSource.COMMANDLINE:
        raise click.UsageError(
            "--interval is the pause between reads with --follow: give --follow too "
            "(without it, ingest reads once and stops)"
        )
    if not paths:
        if not DEFAULT_LOG_DIR.is_dir():
            raise click.UsageError(
                f"give the logs to read as PATH: without one, ingest reads {DEFAULT_LOG_DIR} "
                "(where `refscope serve` writes), and there is no such folder here"
            )
        paths = (str(DEFAULT_LOG_DIR),)
    console = Console(emoji=False)  # a name's ':fire:' is no emoji code
    if follow:
        _follow(console, list(paths), db_file, interval, keep_text, lake_dir,
                err_console=notices())  # fmt: skip
        return
    bar = ReadBar(console, progress)
    said = Said(lake=lake_dir is not None)  # what a stop leaves, as the run goes

    def on_plan(total: int) -> None:
        said.planned()
        bar.plan(total)

    stop = Stop()
    restore = stop_on_signals(stop)
    spilled: list[spills.Removed] = []  # said in the summary, or on stderr if the run fails
    try:
        # A stop leaves no file it made without a row, as a refused ingest makes none, and a
        # DuckDB file that held nothing as it was.
        with db_cleanup.no_empty_file_left(db_file, when=stop.is_set):
            result = pipeline.run(
                list(paths),
                db_file,
                on_plan=on_plan,
                progress=bar.advance,
                keep_text=keep_text,
                lake_dir=lake_dir,
                on_spilled=spilled.append,
                on_stage=said.reached,
            )
        stop.after = COMMITTED  # its summary cut short
    except BaseException:
        bar.stop()
        for removed in spilled:
            print_spilled(None, removed)
        # A stop inside a DuckDB query surfaces as its "interrupted" error, or as a load error
        # saying so: stopped all the same, the batch rolled back.
        if not stop.is_set():
            raise
        # A notice, as a failed run's error: on stderr (stdout holds a summary, if any).
        stop.ends_saying(said.line)
    finally:
        restore()
        bar.stop()
    print_summary(console, result)


def _follow(
    console: Console,
    paths: list[str],
    db_file: Path,
    interval: float,
    keep_text: bool | None,
    lake_dir: Path | None,
    cycles: int | None = None,
    err_console: Console | None = None,
) -> None:
    """Ingest every interval seconds until interrupted (Ctrl-C or SIGTERM, as a service manager
    stops it) or for `cycles` rounds; an error is reported and the next round tries again.

    What no later round can mend is refused at once (preflight.check_follow): a PATH that does
    not exist, a database that cannot be opened for a reason other than a lock, a bad setting.
    A round's summary and lake line go to console; what it follows, warnings, errors and every
    notice to err_console (stderr from the command; console when none is given)."""
    from . import pipeline  # as ingest

    errors = err_console or console
    failing: str | None = None  # the error of the last cycle, said once while it lasts
    warned: list[str] = []  # the warnings of the last cycle, likewise
    stop = Stop()
    restore = restore_sighup = _nothing
    following = False  # "following …" said: a stop from here on is the loop's
    # A lock held for long (a rebuild, an analyst's session) makes every round wait: that it
    # waits is said once per wait, not each round, and that it reads again once it got through.
    notice, waited = db.on_lock_wait, False

    def say_wait_once(path: Path, seconds: float) -> None:
        nonlocal waited
        if not waited and notice is not None:
            notice(path, seconds)
        waited = True

    db.on_lock_wait = say_wait_once
    try:
        # The handlers first: a Ctrl-C or SIGTERM sent once "following" is said (a service
        # manager, a script that waits for it) is a clean stop, not click's "Aborted!"; one
        # during the check removes the database it made, as a stopped ingest does.
        restore = stop_on_signals(stop)
        # The check makes a missing one (a stop in it removes it, as a DuckDB file that held
        # nothing is put back as it was).
        with db_cleanup.no_empty_file_left(db_file, when=lambda: stop.is_set() and not following):
            preflight.check_follow(paths, db_file, keep_text)
            restore_sighup = keep_on_sighup(
                lambda: errors.print("SIGHUP: still following (Ctrl-C or SIGTERM stops)")
            )
            # Following once "following" is being said: a stop as it is written is the loop's.
            following = True
            stop.after = FOLLOW_STOPPED_AGAIN  # its own stop taken, a second one ends it so
            # A glob's [a-z] is no markup; escaping would double a last backslash.
            say(errors, "following {} every {:g} s (Ctrl-C stops)", ", ".join(paths), interval,
                markup=False, soft_wrap=True)  # fmt: skip
        while cycles is None or cycles > 0:
            cycles = None if cycles is None else cycles - 1
            spilled: list[spills.Removed] = []
            try:
                result = pipeline.run(paths, db_file, keep_text=keep_text, lake_dir=lake_dir,
                                      on_spilled=spilled.append)  # fmt: skip
            except (RefscopeError, OSError) as exc:
                for removed in spilled:  # the round failed: said with its error
                    print_spilled(errors, removed)
                if stop.is_set():  # the stop broke a query, which said so as a load error
                    raise KeyboardInterrupt from exc
                # A reader holding the database, a .gz still being written, a file rotated
                # away between listing and reading: the next cycle may well succeed.
                if str(exc) != failing:
                    say(errors, "[red]error:[/] {} (trying again every {:g} s)",
                        one_line(str(exc)), interval, soft_wrap=True)  # fmt: skip
                failing = str(exc)
            else:
                if failing is not None or waited:
                    errors.print("reading again")
                failing, waited = None, False
                if result.files_read:
                    print_summary(console, result, errors)
                else:
                    if result.warnings != warned:  # a folder of no log name: said once
                        print_warnings(errors, result.warnings)
                    if result.lake is not None:  # a stale lake (a forget without --lake) synced
                        print_lake(console, result.lake, errors)
                    print_spilled(errors, result.spilled)  # a killed process's files
                warned = result.warnings
            time.sleep(interval)
    except BaseException:
        # A stop inside a DuckDB query surfaces as DuckDB's own "interrupted" error: stopped
        # all the same (the round's batch rolls back; the next ingest resumes the run).
        if not stop.is_set():
            raise
        if not following:
            stop.ends_saying(BEFORE_READING)  # as a stopped ingest: 130, 143
        errors.print("stopped")
    finally:
        db.on_lock_wait = notice
        restore_sighup()
        restore()


def _nothing() -> None:
    """What puts back handlers not yet set."""


@cli.command("demo-data")
@click.option(
    "--days",
    type=IntegerRange(1, 3650),
    help="Days of logs  [default: 730, or back to 2024-01-01 when that is more: every channel]",
)
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="First day, instead of --days.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: yesterday).")
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--scale", default=1.0, show_default=True, type=NumberRange(0.01, 100))
@click.option("--out", default="data/demo", show_default=True,
              type=click.Path(file_okay=False, path_type=Path))  # fmt: skip
def demo_data(
    days: int | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    seed: int,
    scale: float,
    out: Path,
) -> None:
    """Write realistic demo logs, click logs and the demo ads' daily spend: the same for the
    same seed and end date."""
    from .demo import FIRST_START, default_days, default_end, write_demo, write_links_csv

    last = check_day(end.date(), "--end") if end else default_end()
    if start is not None:
        check_day(start.date(), "--start")
        if days is not None:
            raise click.UsageError("--start and --days both set the first day: give one of them")
        days = (last - start.date()).days + 1
        if not 1 <= days <= 3650:
            raise click.UsageError(f"--start {start:%Y-%m-%d} must be 1 to 3650 days up to {last}")
    if days is not None:
        check_day(last - dt.timedelta(days=days - 1), "--days")
    first = last - dt.timedelta(days=(default_days(last) if days is None else days) - 1)
    if first < FIRST_START:
        raise click.UsageError(
            f"the logs would start on {first}, before {FIRST_START}: refscope reads an earlier "
            "day's millisecond timestamps (below 1e12) as seconds; give a later --end or "
            "--start, or fewer --days"
        )
    stages = Stages(Console(stderr=True, emoji=False))  # on a terminal: minutes with --scale
    writing = False  # out changed: a stop from here on leaves part of the logs

    def stage(text: str) -> None:
        nonlocal writing
        writing = writing or text.startswith("demo-data: writing")
        stages(text)

    stop = Stop()
    restore = stop_on_signals(stop)
    try:
        summary = write_demo(out, days=days, end=last, seed=seed, scale=scale, on_stage=stage)
        links_csv = write_links_csv(out)
        stop.after = f"stopped: {out} holds the demo logs whole"
    except KeyboardInterrupt:
        if not stop.is_set():
            raise
        stages.stop()
        stop.ends_saying(
            f"stopped: {out} holds part of the demo logs; run demo-data again to write them whole"
            if writing
            else "stopped before writing anything: nothing was written"
        )
    except OSError as exc:
        if exc.filename is not None:
            raise  # it names its file: the group's one line says it
        # A full disk fails a write, whose error names no file: name the folder.
        raise click.ClickException(
            f"{out}: cannot write the demo logs: {exc.strerror or exc}"
        ) from exc
    finally:
        restore()
        stages.stop()
    say(None, "wrote {}, {} ({:,} malformed, {:,} retried) and {} to {}; its links to register: "
        "{}", counted(len(summary.files), "file"), counted(summary.lines, "line"),
        summary.malformed_lines, summary.duplicate_lines,
        counted(summary.blank_lines, "blank line"), out, links_csv)  # fmt: skip


cli.add_command(dashboard)
cli.add_command(serve)
cli.add_command(links)
cli.add_command(pages)
cli.add_command(pull)
cli.add_command(prune)
cli.add_command(forget)
cli.add_command(rebuild)


def main() -> None:
    cli()
