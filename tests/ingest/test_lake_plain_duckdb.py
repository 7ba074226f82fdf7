"""The lake read by another engine alone, without refscope: DuckDB with the very query the
README gives, over each partitioned table. The partition columns are what the README says
(`page_id` text, `date` the UTC day of `ts`, of `first_seen_at` for contacts; a click's page id
the one its username maps to, else the username, else none), and the files hold neither."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb

from ingest import db, links, pipeline
from tests import factories as f
from tests.conftest import Query

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
# A second before and at midnight UTC: a day taken in another time zone would move one of them.
BEFORE_MIDNIGHT = 1_700_006_399_000  # 2023-11-14 23:59:59 UTC
MIDNIGHT = BEFORE_MIDNIGHT + 1000


def readme_query(lake_dir: Path, table: str) -> str:
    """The README's DuckDB line for another engine, its bucket replaced by the lake's folder."""
    found = re.search(r"`(SELECT \* FROM read_parquet\('s3://bucket/refscope/[^`]*)`", README)
    assert found, "the README's DuckDB query for the lake"
    sql = " ".join(found[1].split())
    return sql.replace("s3://bucket/refscope/events/", f"{lake_dir}/{table}/")


def log_lines() -> list[Any]:
    ref = f.referral_obj("bio_link")
    click = {"object": "refscope_click", "ts": BEFORE_MIDNIGHT, "ref": "bio_link", "qr": True,
             "device": "mobile"}  # fmt: skip
    return [
        # A contact first seen (its referral) the day before its first message and last action.
        f.delivery(f.referral(ref, psid="5550001", ts=BEFORE_MIDNIGHT)),
        f.delivery(f.message("hi", psid="5550001", ts=MIDNIGHT)),
        f.delivery(f.postback(referral=ref, psid="5550002", ts=MIDNIGHT), page_id=f.OTHER_PAGE_ID),
        {**click, "page": f.PAGE_USERNAME},  # mapped to PAGE_ID below
        {**click, "page": "otherbakery"},  # a username no page maps to
        click,  # no page
    ]


def test_duckdb_alone_reads_the_lake_with_the_partition_columns_the_readme_gives(
    db_path: Path, log_dir: Path, tmp_path: Path, query: Query
) -> None:
    log = f.write_ndjson(log_dir / "a.ndjson", log_lines())
    con = db.connect(db_path)
    try:
        links.learn_page(con, f.PAGE_ID, f.PAGE_USERNAME, None)
    finally:
        con.close()
    lake_dir = tmp_path / "lake"
    pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    alone = duckdb.connect()  # no refscope: no views, no schema, only the files
    try:
        for table in ("events", "touches", "contacts", "clicks"):
            sql = readme_query(lake_dir, table)
            types = {r[0]: r[1] for r in alone.execute(f"DESCRIBE {sql}").fetchall()}
            assert (types["page_id"], types["date"]) == ("VARCHAR", "DATE"), table
            key = {"events": "event_key", "touches": "event_key", "clicks": "click_key"}
            if table in key:
                assert types[key[table]] == "VARCHAR", table  # its decimal digits
            file = next((lake_dir / table).glob("page_id=*/date=*/*.parquet"))
            own = alone.execute(
                f"DESCRIBE SELECT * FROM read_parquet('{file}', hive_partitioning = false)"
            ).fetchall()
            assert not {r[0] for r in own} & {"date"} and (
                table == "clicks" or "page_id" not in {r[0] for r in own}
            ), table
        for table, when in (("events", "ts"), ("touches", "ts"), ("contacts", "first_seen_at")):
            got = alone.execute(
                f"SELECT page_id, date, psid, {when} FROM ({readme_query(lake_dir, table)})"
            ).fetchall()
            expected = query(f"SELECT page_id, CAST({when} AS DATE), psid, {when} FROM {table}")
            assert sorted(got, key=repr) == sorted(expected, key=repr), table
        contacts = alone.execute(
            f"SELECT psid, date FROM ({readme_query(lake_dir, 'contacts')})"
        ).fetchall()
        assert sorted(contacts) == [
            ("5550001", f.utc(BEFORE_MIDNIGHT).date()),  # its referral's day, not its message's
            ("5550002", f.utc(MIDNIGHT).date()),
        ]
        clicks = alone.execute(
            f"SELECT page, page_id, date FROM ({readme_query(lake_dir, 'clicks')})"
        ).fetchall()
        day = f.utc(BEFORE_MIDNIGHT).date()
        assert sorted(clicks, key=repr) == sorted(
            [(f.PAGE_USERNAME, f.PAGE_ID, day), ("otherbakery", "otherbakery", day),
             (None, None, day)], key=repr,
        )  # fmt: skip
    finally:
        alone.close()
