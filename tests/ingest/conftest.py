"""Fixtures of the ingest tests: receivers on real uvicorn servers on 127.0.0.1, and the old
database a rebuild starts from."""

from tests.ingest.rebuild_setup import old  # noqa: F401 (a fixture)
from tests.ingest.receiver_server import (  # noqa: F401 (fixtures)
    click_receiver,
    receiver,
    start_receiver,
)
