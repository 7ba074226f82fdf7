import sys

from .cli_stop import keep_serving_from_start, stops_while_starting


def _run() -> None:
    keep_serving_from_start(sys.argv)  # before the imports of .cli (DuckDB, click, rich)
    from .cli import main

    main()


stops_while_starting(_run)  # Ctrl-C and SIGTERM from the first line on
