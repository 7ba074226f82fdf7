"""The `refscope` console script: Ctrl-C and SIGTERM stop it cleanly from its first line on
(cli_stop.stops_while_starting), and `serve` takes SIGHUP, before the commands' imports (DuckDB,
click, rich), which take a fifth of a second or more; then `dashboard.cli` runs the command."""

from __future__ import annotations

import sys

from ingest.cli_stop import keep_serving_from_start, stops_while_starting


def main() -> None:
    stops_while_starting(_run)


def _run() -> None:
    keep_serving_from_start(sys.argv)
    from dashboard.cli import main as run_command

    run_command()
