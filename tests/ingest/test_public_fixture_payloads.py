"""Each public project's webhook fixture, one log line through the real pipeline: the events,
contacts and acquiring touches it must store, and no reject."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Query
from tests.ingest.public_fixtures import EVENT_COLUMNS, Json, _contacts, _ingest
from tests.ingest.public_fixtures.bottender import BOTTENDER
from tests.ingest.public_fixtures.courier import COURIER
from tests.ingest.public_fixtures.others import MESSENGER4J, OTHERS
from tests.ingest.public_fixtures.page_feed import FEED

SINGLE = COURIER | BOTTENDER | FEED | OTHERS | MESSENGER4J


def _events(query: Query) -> list[Json]:
    return query.dicts(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events ORDER BY ts, kind, psid")


@pytest.mark.parametrize("name", list(SINGLE))
def test_a_public_fixture_is_stored_as_meta_means_it(tmp_path: Path, name: str) -> None:
    body, events, contacts = SINGLE[name]
    query = _ingest(tmp_path, [body])
    assert query("SELECT reason FROM rejects") == []
    assert _events(query) == events
    assert _contacts(query) == contacts
    # Every contact with an entry point has exactly one acquiring touch.
    firsts = query("SELECT page_id, psid, channel FROM touches WHERE is_first ORDER BY page_id")
    assert firsts == [
        (c["page_id"], c["psid"], c["channel"]) for c in contacts if c["channel"] != "organic"
    ]
