"""The `refscope` console script: `serve` takes SIGHUP from its first line on, before the
commands' imports (DuckDB, click, rich), which take a fifth of a second or more; then
`dashboard.cli` runs the command."""

from __future__ import annotations

import sys

from ingest.cli_stop import keep_serving_from_start


def main() -> None:
    keep_serving_from_start(sys.argv)
    from dashboard.cli import main as run_command

    run_command()
