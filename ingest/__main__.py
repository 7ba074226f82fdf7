import sys

from .cli_stop import keep_serving_from_start

keep_serving_from_start(sys.argv)  # before the imports of .cli (DuckDB, click, rich)
from .cli import main  # noqa: E402

main()
