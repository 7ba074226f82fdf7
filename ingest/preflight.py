"""Checks a server command makes before it starts: what it would otherwise find out after
printing where it runs, or at its first request."""

from __future__ import annotations

import errno
import glob
import os
import socket
import tempfile
from pathlib import Path

import click

from . import db, discovery, schema
from .errors import DatabaseLocked, SourceError


def _bind(host: str, port: int) -> None:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do
        probe.bind(address)


def _free_port_after(host: str, port: int) -> int | None:
    """The first of the next 100 ports free on host now, or None."""
    for other in range(port + 1, min(port + 101, 65536)):
        try:
            _bind(host, other)
        except OSError:
            continue
        return other
    return None


def check_port(host: str, port: int, make_hint: bool = False) -> None:
    """Refuse at once an address another process listens on, or one this machine does not
    have: the server would fail after the line saying where it runs. A port in use is refused
    naming one free now; with make_hint (the dashboard, which `make demo` starts), also as
    make's PORT=, which is how a `make demo` user gives it."""
    try:
        _bind(host, port)
    except socket.gaierror as exc:
        raise click.ClickException(f"--host {host}: unknown address ({exc.strerror})") from None
    except UnicodeError:  # the lookup's idna codec: an empty label ('a..b'), one over 63 bytes
        raise click.ClickException(
            f"--host {host}: unknown address (not a valid host name: an empty label or one "
            "over 63 characters)"
        ) from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            free = _free_port_after(host, port)
            way = "pass another --port" if free is None else f"pass --port {free}, free now"
            if make_hint and free is not None:
                way += f" (with make, add PORT={free}: make demo PORT={free})"
            raise click.ClickException(
                f"port {port} on {host} is already in use (another refscope running?): "
                f"stop it or {way}"
            ) from None
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def check_log_dir(log_dir: Path) -> None:
    """Create the log folder and prove it writable before the server starts: found out at
    startup, it is a server traceback; found out at the first delivery, a lost one. The folders
    it creates are 0750, as the receiver makes them (logwriter.make_dirs): the logs' names say
    which days a page had traffic."""
    from .logwriter import make_dirs  # asyncio, the receiver's: only serve loads it

    rule = "--log-dir must be a folder refscope can create and write to"
    try:
        make_dirs(log_dir)
    except OSError as exc:
        raise click.ClickException(
            f"cannot write logs to {log_dir}: {exc.strerror or exc}: {rule}"
        ) from exc
    check_writable_dir(log_dir, "logs", rule)


def check_writable_dir(path: Path, what: str, rule: str) -> None:
    """Create the folder and prove it writable (a file made and removed there), or stop with
    what could not be written, why, and the option's rule."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise click.ClickException(
            f"cannot write {what} to {path}: {exc.strerror or exc}: {rule}"
        ) from exc


def check_follow(paths: list[str], db_file: Path, keep_text: bool | None) -> None:
    """Refuse at once what no round of `ingest --follow` could mend: a PATH that does not exist
    (a glob may match nothing yet), a database that cannot be opened for a reason other than a
    lock, and a setting of the environment, which stays as it is, that is no value or not the
    database's salt (each round said it and tried again, for ever)."""
    for spec in paths:
        if (not glob.has_magic(spec) or discovery.is_url(spec)) and not os.path.lexists(spec):
            raise SourceError(discovery.missing(spec))
    from . import pipeline  # Arrow and NumPy: only the ingest that follows needs them

    privacy = pipeline.check_settings(keep_text)
    try:
        # No wait for a lock, which passes anyway: waiting, it would start silently, and
        # before Ctrl-C and SIGTERM stop it cleanly.
        con = db.connect(db_file, wait=0)
    except DatabaseLocked:  # a lock passes: the rounds wait for it
        return
    try:
        privacy.check_scheme(con, record=False)
    finally:
        con.close()


def check_dashboard_db(db_file: Path) -> None:
    """Refuse at once a database file every other command refuses (no DuckDB file, another
    program's, a damaged one), in their words: the dashboard started on it and said so only
    in the page a browser opened. A missing file (the app shows what to run) and one another
    process writes (the app waits for it) pass; the app still says why of a file replaced
    while it runs."""
    if not db_file.exists():
        return
    try:
        con = db.connect(db_file, read_only=True, wait=0)
    except DatabaseLocked:
        return
    try:
        schema.check_refscope(con, db_file)
    finally:
        con.close()
