"""Fixtures of the ingest tests: receivers on real uvicorn servers on 127.0.0.1, the HTTP server
`pull logs` is tested against, the fake Graph API `pull ads` is tested against, and the old
database a rebuild starts from."""

from tests.ingest.fetch_server import fast_retries, site  # noqa: F401 (fixtures)
from tests.ingest.graph_setup import graph  # noqa: F401 (a fixture)
from tests.ingest.rebuild_setup import old  # noqa: F401 (a fixture)
from tests.ingest.receiver_server import (  # noqa: F401 (fixtures)
    click_receiver,
    compared,
    receiver,
    start_receiver,
)
