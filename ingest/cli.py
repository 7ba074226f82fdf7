"""The `refscope` command: each subcommand parses options, calls one function, maps errors."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
from rich.table import Table

from . import db, fetch, graph, lake, pipeline, qr, remote, retention
from . import links as links_mod
from .errors import RefscopeError
from .privacy import Privacy

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
@click.option("--keep-text", is_flag=True, default=None,
              help="Also store message text (default: type, length and attachment kinds only; "
              "or set REFSCOPE_KEEP_TEXT=1).")  # fmt: skip
@click.option("--lake", "lake_dir", envvar="REFSCOPE_LAKE",
              type=click.Path(file_okay=False, path_type=Path),
              help="Also keep a hive-partitioned Parquet copy of the tables here "
              "(or REFSCOPE_LAKE).")  # fmt: skip
@click.option("--follow", is_flag=True, help="Keep running: read new lines as they arrive.")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(0.1, 3600),
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
    """Read webhook logs (files, directories, globs, .gz) into the database.

    Only bytes not read by an earlier run are read; running it twice changes nothing. With
    --follow it keeps reading what the receiver appends, holding the database only while it
    loads, so the dashboard stays current.
    """
    console = Console()
    if follow:
        _follow(console, list(paths), db_file, interval, keep_text, lake_dir)
        return
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
            list(paths),
            db_file,
            on_plan=on_plan,
            progress=lambda n: bar.advance(task, n),
            keep_text=keep_text,
            lake_dir=lake_dir,
        )
    finally:
        bar.stop()
    print_summary(console, result)


def _follow(
    console: Console,
    paths: list[str],
    db_file: Path,
    interval: float,
    keep_text: bool | None,
    lake_dir: Path | None,
) -> None:
    console.print(f"following {', '.join(paths)} every {interval:g} s (Ctrl-C stops)")
    try:
        while True:
            result = pipeline.run(paths, db_file, keep_text=keep_text, lake_dir=lake_dir)
            if result.files_read:
                print_summary(console, result)
            time.sleep(interval)
    except KeyboardInterrupt:
        console.print("stopped")


def print_summary(console: Console, r: pipeline.IngestResult) -> None:
    if r.lake is not None:
        console.print(
            f"lake: {r.lake.written} partitions written, {r.lake.removed} removed, "
            f"{r.lake.unchanged} unchanged"
        )
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
        table = Table(
            title=title, title_justify="left", show_header=False, box=None, min_width=len(title)
        )
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
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; any but loopback needs a login.")  # fmt: skip
@click.option(
    "--lake",
    "lake_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Read the Parquet lake written by `ingest --lake` instead of a database.",
)
def dashboard(db_file: Path, port: int, host: str, lake_dir: Path | None) -> None:
    """Start the Streamlit dashboard on the database.

    Off loopback it asks for a login: Streamlit's OIDC login when .streamlit/secrets.toml has
    an [auth] section, else the password in REFSCOPE_DASHBOARD_PASSWORD (asked for on loopback
    too when set). With neither it refuses to start.
    """
    from .access import AUTH_ENV, secrets_files, serve_access

    app = Path(__file__).resolve().parent.parent / "dashboard" / "streamlit_app.py"
    login = serve_access(host, os.environ, secrets_files(app))  # refuses before anything starts
    env = dict(os.environ, REFSCOPE_DB=str(db_file.resolve()), **{AUTH_ENV: login.mode})
    if lake_dir is not None:
        if not (lake_dir / lake.MANIFEST).exists():
            raise click.ClickException(f"{lake_dir}: no lake here; run `refscope ingest --lake`")
        env["REFSCOPE_LAKE"] = str(lake_dir.resolve())
    args = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.port", str(port), "--server.address", host,
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    click.echo(
        f"refscope dashboard on http://{'localhost' if host == '127.0.0.1' else host}:{port}"
        f" (login: {login.why})"
    )
    sys.stdout.flush()  # execve replaces the process before Python would flush
    os.execve(sys.executable, args, env)


@cli.group()
def links() -> None:
    """Make tracked m.me links and QR codes, and keep their registry."""


QR_OPTIONS = [
    click.option("--box-size", default=10, show_default=True, help="Pixels per QR module."),
    click.option("--border", default=4, show_default=True, help="Quiet zone in modules."),
    click.option("--error-correction", type=click.Choice(list(qr.ERROR_LEVELS)), default="M",
                 show_default=True, help="QR error-correction level (a logo forces H)."),
    click.option("--fg", default="#000000", show_default=True, help="Foreground colour."),
    click.option("--bg", default="#ffffff", show_default=True, help="Background colour."),
    click.option("--logo", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="Image placed in the centre of the code."),
]  # fmt: skip


def qr_options(fn: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(QR_OPTIONS):
        fn = option(fn)
    return fn


def _style(box_size: int, border: int, error_correction: str, fg: str, bg: str,
           logo: Path | None) -> qr.QrStyle:  # fmt: skip
    return qr.QrStyle(box_size, border, error_correction, fg, bg,
                      logo.read_bytes() if logo else None).checked()  # fmt: skip


def _write_codes(out: Path, link: links_mod.Link, style: qr.QrStyle) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    png, svg = out / f"{link.ref}.png", out / f"{link.ref}.svg"
    png.write_bytes(qr.png_bytes(link.url, style))
    svg.write_bytes(qr.svg_bytes(link.url, style))
    return [png, svg]


@links.command("create")
@click.option("--page", required=True, help="Page username or numeric id.")
@click.option("--ref", help="The ref; default: campaign-placement-YYYY_MM.")
@click.option("--channel", type=click.Choice(["link", "qr"]), default="link", show_default=True)
@click.option("--campaign")
@click.option("--placement")
@click.option("--notes")
@click.option("--via-redirect", "base_url", help="Point the link at refscope's /r/<ref> server.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Where QR codes are written.")  # fmt: skip
@qr_options
@DB_OPTION
def links_create(page: str, ref: str | None, channel: str, campaign: str | None,
                 placement: str | None, notes: str | None, base_url: str | None, out: Path,
                 db_file: Path, **qr_args: Any) -> None:  # fmt: skip
    """Register a tracked link and print its URL; with --channel qr also write PNG and SVG."""
    link = links_mod.make_link(page, ref, channel, campaign, placement, notes, base_url)
    style = _style(**qr_args)
    con = db.connect(db_file)
    try:
        added = links_mod.register(con, [link])
    finally:
        con.close()
    click.echo(link.url)
    if not added:
        click.echo(f"(already registered: {link.ref})", err=True)
    if link.channel == "qr_code":
        for path in _write_codes(out, link, style):
            click.echo(f"wrote {path}", err=True)


@links.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--via-redirect", "base_url", help="Point the links at refscope's /r/<ref> server.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write every QR code and a printable PDF sheet here.")  # fmt: skip
@qr_options
@DB_OPTION
def links_import(csv_file: Path, base_url: str | None, out: Path | None, db_file: Path,
                 **qr_args: Any) -> None:  # fmt: skip
    """Register many links from a CSV (page,ref,channel,campaign,placement,notes).

    Every row is checked first: if any is invalid, nothing is written.
    """
    style = _style(**qr_args)
    report = links_mod.read_csv(csv_file, base_url)
    if report.errors:
        for err in report.errors:
            click.echo(f"{csv_file}:{err}", err=True)
        raise click.ClickException(f"{len(report.errors)} invalid rows; nothing was registered")
    con = db.connect(db_file)
    try:
        added = links_mod.register(con, report.links)
    finally:
        con.close()
    click.echo(
        f"registered {len(added)} new links ({len(report.links) - len(added)} already there)"
    )
    if out:
        codes = [x for x in report.links if x.channel == "qr_code"] or report.links
        for link in codes:
            _write_codes(out, link, style)
        sheet = out / "print-sheet.pdf"
        sheet.write_bytes(qr.print_sheet(
            [(x.url, x.ref, " / ".join(p for p in (x.campaign, x.placement) if p)) for x in codes],
            style))  # fmt: skip
        click.echo(f"wrote {len(codes)} codes and {sheet}")


@links.command("list")
@DB_OPTION
def links_list(db_file: Path) -> None:
    """List registered links."""
    con = db.connect(db_file)
    try:
        rows = links_mod.list_links(con)
    finally:
        con.close()
    table = Table("ref", "page", "channel", "campaign", "placement", "url", "created")
    for row in rows:
        table.add_row(*(str(v) if v is not None else "" for v in row))
    Console().print(table)


@links.command("qr")
@click.argument("ref")
@click.option("--page", help="When the ref is registered for several pages.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True)  # fmt: skip
@qr_options
@DB_OPTION
def links_qr(ref: str, page: str | None, out: Path, db_file: Path, **qr_args: Any) -> None:
    """Write the QR code (PNG and SVG) of a registered link again."""
    style = _style(**qr_args)
    con = db.connect(db_file)
    try:
        rows = con.execute(
            "SELECT ref, page, channel, campaign, placement, notes, url FROM tracked_links "
            "WHERE ref = ? AND (? IS NULL OR lower(page) = lower(?))",
            [ref, page, page],
        ).fetchall()
    finally:
        con.close()
    if not rows:
        raise click.ClickException(f"ref {ref!r} is not registered (see `refscope links list`)")
    if len(rows) > 1:
        raise click.ClickException(f"ref {ref!r} is registered for several pages: give --page")
    r = rows[0]
    link = links_mod.Link(r[0], r[1], r[2], r[3], r[4], r[5])
    for path in _write_codes(out, link, style):
        click.echo(f"wrote {path}")


@cli.group()
def pages() -> None:
    """Map numeric page ids (in webhooks) to usernames (in m.me links) and names."""


@pages.command("set")
@click.argument("page_id")
@click.option("--username", help="The page's username, as in https://m.me/<username>.")
@click.option("--name", help="Display name.")
@DB_OPTION
def pages_set(page_id: str, username: str | None, name: str | None, db_file: Path) -> None:
    """Record a page's username and display name; links made by username then find it."""
    con = db.connect(db_file)
    try:
        links_mod.learn_page(con, page_id, username, name)
    finally:
        con.close()
    click.echo(f"page {page_id}: username {username or '-'}, name {name or '-'}")


@cli.group()
def pull() -> None:
    """Bring logs and ad spend in over HTTP."""


@pull.command("logs")
@click.argument("url")
@click.option("--header", "headers", multiple=True, help="An HTTP header 'Name: value'; repeat.")
@DB_OPTION
def pull_logs(url: str, headers: tuple[str, ...], db_file: Path) -> None:
    """Stream an NDJSON (or .gz) log from URL into the database; later pulls ask for new bytes."""
    console = Console()
    result = remote.pull_logs(url, fetch.parse_headers(headers), db_file)
    if result is None:
        console.print(f"nothing new at {fetch.safe_url(url)}")
    else:
        print_summary(console, result)


@pull.command("ads")
@click.option("--account", required=True, help="Ad account id, act_<digits>.")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    help="First day (default: 28 days before the last pulled day, or 90 days back).",
)
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: today).")
@click.option("--api-version", default=graph.DEFAULT_API_VERSION, show_default=True)
@click.option(
    "--base-url",
    envvar="REFSCOPE_GRAPH_URL",
    default=graph.DEFAULT_BASE_URL,
    show_default=True,
    help="Graph API base URL (or REFSCOPE_GRAPH_URL).",
)
@DB_OPTION
def pull_ads(account: str, since: dt.datetime | None, until: dt.datetime | None,
             api_version: str, base_url: str, db_file: Path) -> None:  # fmt: skip
    """Pull daily Click-to-Messenger ad insights (token from REFSCOPE_META_TOKEN)."""
    console = Console()
    with console.status("pulling ad insights…") as status:
        result = remote.pull_ads(
            account, os.environ.get("REFSCOPE_META_TOKEN", ""), db_file,
            since=since.date() if since else None, until=until.date() if until else None,
            base_url=base_url, api_version=api_version,
            on_page=lambda n: status.update(f"pulling ad insights… {n:,} rows"),
        )  # fmt: skip
    console.print(
        f"{result.rows:,} insight rows ({result.pages} pages) for {result.since} – "
        f"{result.until}; waited {result.waited_seconds:.0f} s for rate limits"
    )


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--log-dir", default="data/logs", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Where webhooks-*.ndjson and clicks-*.ndjson are appended.")  # fmt: skip
@DB_OPTION
def serve(host: str, port: int, log_dir: Path, db_file: Path) -> None:
    """Receive Messenger webhooks and tracked-link clicks into NDJSON logs.

    Secrets come from the environment only: REFSCOPE_APP_SECRET (several comma-separated
    during a rotation) and REFSCOPE_VERIFY_TOKEN. /r/<ref> follows the links in --db.
    """
    from .receiver import serve as run_receiver

    run_receiver(host, port, log_dir, db_file)


@cli.command()
@click.option("--older-than", "age", required=True, help="e.g. 90d, 12w, 25m, 2y.")
@DB_OPTION
def prune(age: str, db_file: Path) -> None:
    """Delete events, touches and clicks older than AGE, and contacts with nothing left."""
    before = retention.cutoff(age, dt.datetime.now(dt.UTC).date())
    con = db.connect(db_file)
    try:
        r = retention.prune(con, before)
    finally:
        con.close()
    click.echo(
        f"removed data before {r.before}: {r.events:,} events, {r.touches:,} touches, "
        f"{r.clicks:,} clicks, {r.contacts:,} contacts"
    )


@cli.command()
@click.argument("psid")
@click.option("--page", "page_id", help="Only on this page id (default: every page).")
@DB_OPTION
def forget(psid: str, page_id: str | None, db_file: Path) -> None:
    """Remove every row of one person and keep them out of later ingests."""
    con = db.connect(db_file)
    try:
        counts = retention.forget(con, psid, page_id, Privacy.from_env())
    finally:
        con.close()
    click.echo("forgotten: " + ", ".join(f"{n:,} {table}" for table, n in counts.items()))


def main() -> None:
    cli()
