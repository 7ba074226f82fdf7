"""The prune of a database file, and a contact's row, for test_prune_history*.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ingest import db, retention
from tests.conftest import Query


def _prune(path: Path, before: dt.date) -> retention.Pruned:
    con = db.connect(path)
    try:
        return retention.prune(con, before)
    finally:
        con.close()


def _contact(query: Query, psid: str) -> dict[str, Any]:
    (row,) = query.dicts("SELECT * FROM contacts WHERE psid = ?", psid)
    return row
