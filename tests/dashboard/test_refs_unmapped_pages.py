"""Links & QR codes with links registered by usernames that `pages` does not map: each link's
clicks stay on its own row, also when two pages' links share a ref and no contact came."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dashboard import queries
from dashboard.filters import Filters
from ingest import clicklog, db, links, pipeline
from tests import factories as fx
from tests.dashboard.conftest import opened


def test_two_unmapped_pages_scanned_codes_of_one_ref_keep_their_own_clicks(
    tmp_path: Path,
) -> None:
    """Two pages' flyers share a ref, both registered by a username `pages` does not map, and
    are scanned without anyone writing: their clicks were summed into one row that carried one
    link's campaign (3 scans under "bakery flyer", one of them the coffee shop's)."""
    day = fx.utc(fx.T0).date()
    logs = tmp_path / "logs"
    scans = [("acmebakery", "mobile")] + [("northwindcoffee", "mobile")] * 2
    logs.mkdir()
    (logs / "clicks.ndjson").write_bytes(
        b"".join(
            clicklog.click_line(fx.T0 + i, "flyer", page, True, device)
            for i, (page, device) in enumerate(scans)
        )
    )
    path = tmp_path / "r.duckdb"
    con = db.connect(path)
    try:
        links.register(con, [
            links.make_link("acmebakery", "flyer", "qr", campaign="bakery flyer"),
            links.make_link("northwindcoffee", "flyer", "qr", campaign="coffee flyer"),
        ])  # fmt: skip
    finally:
        con.close()
    pipeline.run([str(logs)], path)
    with opened(path) as c:
        df = queries.refs(c, Filters(day, day + dt.timedelta(days=1)))
    got = sorted(zip(df["ref"], df["campaign"], df["clicks"], df["scans"], strict=True))
    assert got == [("flyer", "bakery flyer", 1, 1), ("flyer", "coffee flyer", 2, 2)]
    assert df["registered"].all() and df["page_id"].isna().all()
