"""`refscope dashboard` and `refscope serve`: the commands that start a server (Streamlit's, or
the receiver of webhooks and tracked-link clicks) once the checks it needs have passed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import lake, preflight
from .cli_options import DB_OPTION, DEFAULT_LOG_DIR, IntegerRange, lake_folder
from .cli_stop import ends_at_once, exec_blocking_stops


@click.command()
@DB_OPTION
@click.option("--port", default=8501, show_default=True, type=IntegerRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; any but loopback needs a login.")  # fmt: skip
@click.option(
    "--lake",
    "lake_dir",
    type=click.Path(file_okay=False),
    callback=lake_folder,
    help="Read the Parquet lake written by `ingest --lake` instead of a database.",
)
def dashboard(db_file: Path, port: int, host: str, lake_dir: Path | None) -> None:
    """Start the Streamlit dashboard on the database.

    Off loopback it asks for a login: Streamlit's OIDC login when .streamlit/secrets.toml has
    an [auth] section, else the password in REFSCOPE_DASHBOARD_PASSWORD (asked for on loopback
    too when set). With neither it refuses to start.
    """
    # Its checks only read: a stop before Streamlit starts ends it at once, with one line
    ends_at_once("stopped before the dashboard started")
    from .access import AUTH_ENV, secrets_files, serve_access

    app = Path(__file__).resolve().parent.parent / "dashboard" / "streamlit_app.py"
    login = serve_access(host, os.environ, secrets_files(app))  # refuses before anything starts
    env = dict(os.environ, REFSCOPE_DB=str(db_file.resolve()), **{AUTH_ENV: login.mode})
    # REFSCOPE_LAKE set for ingest, pull, prune and forget is no `--lake`: the app would read the
    # lake (behind the database until the next run) instead of the database asked for.
    env.pop("REFSCOPE_LAKE", None)
    if lake_dir is not None:
        if not (lake_dir / lake.MANIFEST).exists():
            raise click.ClickException(f"{lake_dir}: no lake here; run `refscope ingest --lake`")
        env["REFSCOPE_LAKE"] = str(lake_dir.resolve())
    else:
        preflight.check_dashboard_db(db_file)  # refused as every other command refuses it
    preflight.check_port(host, port, make_hint=True)
    args = [
        # Streamlit in a child of a process of refscope's, which a stop ends at any moment
        sys.executable, "-m", "dashboard.server_process", "run", str(app),
        "--server.port", str(port), "--server.address", host,
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        # Streamlit's developer menu (Deploy, Clear cache, Auto rerun) is not for a team
        # reading its numbers: Deploy would offer to publish the app on Streamlit's cloud.
        "--client.toolbarMode", "viewer",
        # Its server's info lines ("Uvicorn server started on ...", timestamped) told the
        # address a third time, as a log; warnings and errors still show.
        "--logger.level", "warning",
    ]  # fmt: skip
    # An IPv6 address goes in brackets, or the URL does not open (http://::1:8501).
    shown = "localhost" if host == "127.0.0.1" else f"[{host}]" if ":" in host else host
    click.echo(f"refscope dashboard on http://{shown}:{port} (login: {login.why})")
    sys.stdout.flush()  # execve replaces the process before Python would flush
    exec_blocking_stops(args, env)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=IntegerRange(1, 65535))
@click.option("--log-dir", default=str(DEFAULT_LOG_DIR), show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Where webhooks-*.ndjson and clicks-*.ndjson are appended, "
              "one file per process and day.")  # fmt: skip
@DB_OPTION
@click.option("--clicks-only", is_flag=True,
              help="Serve /r/<ref> only, no /webhook: no app secret needed, /healthz "
              "answers 200 without one.")  # fmt: skip
def serve(host: str, port: int, log_dir: Path, db_file: Path, clicks_only: bool) -> None:
    """Receive Messenger webhooks and tracked-link clicks into NDJSON logs.

    Secrets come from the environment only: REFSCOPE_APP_SECRET (several comma-separated
    during a rotation) and REFSCOPE_VERIFY_TOKEN; REFSCOPE_MAX_BODY (default 1MB) caps a
    delivery. /r/<ref> follows the links in --db.
    """
    from .receiver import serve as run_receiver

    preflight.check_log_dir(log_dir)
    preflight.check_port(host, port)
    run_receiver(host, port, log_dir, db_file, clicks_only)
