"""`refscope prune` and `refscope forget`: data removed by age or by person, in the database
and, with --lake, in the Parquet lake at once."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec

import click
import duckdb

from . import db, lake, memory_share, retention, rewrite
from .cli_options import DB_OPTION, lake_option, page_ids
from .cli_stop import Stop, Stopping, exits_when_stopped, stop_on_signals
from .errors import LakeError, RefscopeError, ValidationError
from .privacy import Privacy
from .summary import print_lake
from .terminal import say
from .wording import counted

# What forget's counts are of (retention.forget's keys), as (one, several).
FORGOTTEN = {
    "events": ("event", "events"),
    "touches": ("touch", "touches"),
    "contacts": ("contact", "contacts"),
    "contact_days": ("contact day", "contact days"),
    "contact_history": ("history row", "history rows"),
    "comments": ("comment", "comments"),
    "feed_changes": ("other feed change", "other feed changes"),  # reactions, likes, shares…
    "rejects": ("rejected line", "rejected lines"),
}
FORGET_AGAIN = "`refscope forget` again with the same id and options"
# A forget or a prune is brought to the lake at once, not left for the next `ingest --lake`.
LAKE_SYNC_OPTION = lake_option(
    "Bring this Parquet lake (written by `ingest --lake`; or REFSCOPE_LAKE) in line too."
)


class _Unread:
    """stdout whose reader may go away (`| head -1`, a closed pipe): a write that fails so makes
    the later ones go nowhere (its file descriptor then names /dev/null, so the interpreter's
    last flush fails no more), and the command goes on."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except BrokenPipeError:
            self._gone()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._gone()

    def _gone(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # no descriptor (a test's stream)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


_P = ParamSpec("_P")


def _reader_may_go(command: Callable[_P, None]) -> Callable[_P, None]:
    """Run a command that removes rows to its end when nobody reads its output any more: the
    rows are committed by then, and the file written anew must not be skipped for a line that
    no one reads (their bytes would stay in it, said nowhere)."""

    @functools.wraps(command)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> None:
        real = sys.stdout
        sys.stdout = _Unread(real)
        try:
            command(*args, **kwargs)
        finally:
            sys.stdout = real

    return run


def _sync_lake(con: duckdb.DuckDBPyConnection, lake_dir: Path | None) -> LakeError | None:
    """Bring the lake in line; a lake that cannot be written is returned, to be raised once the
    database is rewritten: the removed rows' bytes must not stay in it because of the lake."""
    if lake_dir is None:
        return None
    if not _holds_lake(lake_dir):
        say(None, "(no lake at {} yet: nothing to bring in line)", lake_dir, err=True)
        return None
    try:
        print_lake(None, lake.sync(con, lake_dir))
    except LakeError as exc:
        return exc
    return None


def _remove_killed_pulls(db_file: Path) -> None:
    """Delete the downloads a killed `pull logs` left in `.pull` beside the database (the log as
    the server sent it: the person's ids and words), which a later pull deletes only once they
    are a day old. Said on stderr, a notice as the spill files an ingest removed are."""
    spool_dir = db_file.parent / ".pull"
    if not spool_dir.is_dir():
        return
    from . import fetch  # httpx: loaded by pulls, and by a forget that finds their downloads

    if n := fetch.remove_killed_pulls(spool_dir):
        say(None, "removed {} a killed `refscope pull logs` left in {} (the log as the server "
            "sent it)", counted(n, "download"), spool_dir, err=True)  # fmt: skip


def _holds_lake(lake_dir: Path) -> bool:
    """Whether lake_dir holds what a sync writes: its manifest, a table's folder or file, or a
    staging folder. A first sync that stopped before its manifest (a full volume, a kill) left
    partitions there that other engines read, the person's rows among them."""
    names = {lake.MANIFEST, *lake.PARTITIONED, *(f"{t}.parquet" for t in lake.WHOLE)}
    return lake_dir.is_dir() and any(
        p.name in names or p.name.startswith(".staging-") for p in lake_dir.iterdir()
    )


def _rewrite(con: duckdb.DuckDBPyConnection, db_file: Path, done: str, again: str) -> None:
    """Write the database file anew (rewrite.py), so that the bytes of the rows just removed
    leave it; done names what is committed whatever happens, again what rewrites it later."""
    remain = _remain(db_file, again)
    stop = Stop()
    restore = stop_on_signals(stop)  # SIGTERM too: a stop must not leave the partial file
    try:
        r = rewrite.rewrite(con, db_file)
    except BaseException as exc:
        # A stop inside a DuckDB query surfaces as its "interrupted" error: stopped all the same.
        if stop.is_set():
            stop.ends_saying(f"stopped: {db_file} was not rewritten (it is as it was after the "
                             f"{done}): {remain}")  # fmt: skip
        if isinstance(exc, RefscopeError):
            raise RefscopeError(f"the {done} is committed, but {db_file} was not rewritten: "
                                f"{exc}. It is as it was after the {done}: "
                                f"{remain}") from exc  # fmt: skip
        raise
    finally:
        restore()
    say(None, "rewrote {} ({:,.1f} MiB → {:,.1f} MiB): the removed rows' bytes are gone from it",
        db_file, r.before / 2**20, r.after / 2**20)  # fmt: skip


def _remain(db_file: Path, again: str) -> str:
    return (f"the removed rows are gone from every query, but their bytes may remain in "
            f"{db_file} until a rewrite ({again})")  # fmt: skip


def _left(lake_dir: Path | None, rewrite_file: bool) -> str:
    """What a prune stopped once committed has not done yet, which the same prune again does."""
    left = [what for what, asked in (("the lake brought in line", lake_dir is not None),
                                     ("the file written anew", rewrite_file)) if asked]  # fmt: skip
    return f", {' and '.join(left)} not yet: run the same prune again" if left else ""


def _age(ctx: click.Context, param: click.Parameter, age: str) -> str:
    """--older-than, checked: an age that is none is a bad option value (exit 2, as click's
    own refusals of a value), not a failure of the prune (exit 1)."""
    try:
        retention.cutoff(age, dt.datetime.now(dt.UTC).date())
        return age
    except ValidationError as exc:  # the rule it breaks
        why = str(exc)
    except (ValueError, OverflowError):  # a date before the year 1
        why = f"invalid age {age!r}: it reaches back before the year 1; give a smaller number"
    raise click.BadParameter(why, ctx, param)


def _refscope_database(db_file: Path) -> bool:
    """Refuse a file without refscope's tables (another program's DuckDB file), as a reader
    does: a prune removes rows from a refscope database and makes none, and its writer's
    connection would apply the schema there. False for a DuckDB file that holds nothing (no
    command wrote to it), which `ingest` makes a refscope database, as it makes a missing one.
    Held to REFSCOPE_INGEST_MEMORY, as the command's own connection is (memory_share)."""
    con = memory_share.connect_limited(db_file, read_only=True)
    try:
        return _holds_events(con, db_file)
    finally:
        con.close()


def _holds_events(con: duckdb.DuckDBPyConnection, db_file: Path) -> bool:
    try:
        with db.refscope_tables(con, db_file):
            con.execute("SELECT 1 FROM events LIMIT 0")
    except db.NoDataYet:
        return False
    return True


def _saying(stop: Stopping, said: str) -> Callable[[], object]:
    """What sets stop.said at a COMMIT (db.transaction): a call of C, which a stop that comes
    meanwhile does not cut before it is done."""
    return functools.partial(setattr, stop, "said", said)


@click.command()
@click.option("--older-than", "age", required=True, metavar="AGE", callback=_age,
              help="A number and d, w, m or y: e.g. 90d, 12w, 25m, 2y.")  # fmt: skip
@click.option("--rewrite", "rewrite_file", is_flag=True,
              help="Then write the database file anew, so that the removed rows' bytes leave it "
                   "(as long as a copy of the database takes).")  # fmt: skip
@LAKE_SYNC_OPTION
@DB_OPTION
@_reader_may_go
def prune(age: str, rewrite_file: bool, lake_dir: Path | None, db_file: Path) -> None:
    """Delete events, touches and clicks older than AGE, and contacts with nothing left."""
    with exits_when_stopped("stopped before pruning: nothing was written") as stop:
        _prune(stop, age, rewrite_file, lake_dir, db_file)


def _prune(stop: Stopping, age: str, rewrite_file: bool, lake_dir: Path | None,
           db_file: Path) -> None:  # fmt: skip
    """prune, stop.said saying what a stop leaves as it goes."""
    before = retention.cutoff(age, dt.datetime.now(dt.UTC).date())  # checked by _age
    if not db_file.exists():
        raise click.ClickException(f"{db_file}: no database yet; nothing to prune")
    if not _refscope_database(db_file):
        raise click.ClickException(f"{db_file}: an empty database, no data yet; nothing to prune")
    con = memory_share.connect_limited(db_file)  # a rewrite copies the whole database
    committed = "stopped: the prune is committed" + _left(lake_dir, rewrite_file)
    try:
        r = retention.prune(con, before, _saying(stop, committed))
        click.echo(
            f"removed data before {r.before}: {counted(r.events, 'event')}, "
            f"{counted(r.touches, 'touch', 'touches')}, {counted(r.clicks, 'click')}, "
            f"{counted(r.contact_days, 'contact day')}, {counted(r.contacts, 'contact')}, "
            f"{counted(r.rejects, 'rejected line')}"
        )
        unsynced = _sync_lake(con, lake_dir)
        stop.said = "stopped: the prune is committed" + _left(None, rewrite_file)
        if rewrite_file:
            _rewrite(con, db_file, "prune", f"`refscope prune --older-than {age} --rewrite` again")
            stop.said = "stopped: the prune is committed"
        if unsynced:
            raise unsynced
    finally:
        con.close()


@click.command()
@click.argument("psid")
@click.option("--page", "page_id", callback=page_ids,
              help="Only on this page id (default: every page); rejected lines are blanked "
                   "on every page.")  # fmt: skip
@click.option("--rewrite/--no-rewrite", "rewrite_file", default=True,
              help="Write the database file anew after the deletions, so that the person's "
                   "bytes leave it (default); --no-rewrite leaves them until a later "
                   "rewrite.")  # fmt: skip
@LAKE_SYNC_OPTION
@DB_OPTION
@_reader_may_go
def forget(
    psid: str, page_id: str | None, rewrite_file: bool, lake_dir: Path | None, db_file: Path
) -> None:
    """Remove every row of one person and keep them out of later ingests.

    PSID is a PSID, a chat plugin user_ref or a commenter's id (a comment's from.id), or a
    send log recipient's phone number (as the log writes it). The
    database file is then written anew, so that no byte of theirs stays in it.
    """
    with exits_when_stopped("stopped before forgetting: nothing was written") as stop:
        _forget(stop, psid, page_id, rewrite_file, lake_dir, db_file)


def _forget(stop: Stopping, psid: str, page_id: str | None, rewrite_file: bool,
            lake_dir: Path | None, db_file: Path) -> None:  # fmt: skip
    """forget, stop.said saying what a stop leaves as it goes."""
    privacy = Privacy.from_env()  # its settings refused before a database is made
    retention.person_id(psid)  # so is a blank id
    created = not db_file.exists()  # before a first ingest, or a mistyped --db: say which
    # A file no command wrote to is made a refscope database, as `ingest` makes it one.
    empty = not created and not _refscope_database(db_file)  # else refused: not refscope's
    if created or empty:  # stopped or failed before the commit: not left, or as it was
        stop.makes(db_file, failing_too=True)
    con = memory_share.connect_limited(db_file)  # a rewrite copies the whole database
    forgotten = f"stopped: {psid.strip()} is forgotten"
    committed = f"{forgotten}, but {db_file} was not rewritten: {_remain(db_file, FORGET_AGAIN)}"
    try:
        done = retention.forget(con, psid, page_id, privacy, _saying(stop, committed))
        counts = done.counts
        if done.already and not any(counts.values()):
            where = " on every page" if done.already == "*" else f" on page {done.already}"
            say(None, "{} was already forgotten{}: nothing left to remove", psid.strip(), where)
        else:
            click.echo(
                "forgotten: " + ", ".join(counted(n, *FORGOTTEN[t]) for t, n in counts.items())
            )
        if not any(counts.values()) and not done.already:
            where = f" on page {page_id}" if page_id else ""
            say(None, "no row held that id{} (check it); later ingests leave it out all the same",
                where, err=True)  # fmt: skip
        if created:
            say(None, "{} did not exist: it was created to keep the forget (is that the "
                "database you ingest into?)", db_file, err=True)  # fmt: skip
        elif empty:
            say(None, "{} held no data: the forget is kept in it (is that the database you "
                "ingest into?)", db_file, err=True)  # fmt: skip
        _remove_killed_pulls(db_file)
        unsynced = _sync_lake(con, lake_dir)
        if rewrite_file:
            _rewrite(con, db_file, "forget", FORGET_AGAIN)
            stop.said = forgotten
        else:
            say(None, "not rewritten (--no-rewrite): the removed rows' bytes may remain in {} "
                "until a rewrite (`refscope forget` again with the same id, without "
                "--no-rewrite)", db_file, err=True)  # fmt: skip
        if unsynced:
            raise unsynced
    finally:
        con.close()
