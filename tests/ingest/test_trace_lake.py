"""The lake against the issue's words: the CLI option and its setting, zstd files in
`table/page_id=…/date=…/`, a lake equal to the database (its 128-bit keys too, any page id),
`dashboard --lake` without a database file, and no secret in any lake file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from ingest import db, lake, links, pipeline, retention
from ingest.cli import cli
from ingest.privacy import Privacy
from tests import factories as f
from tests.conftest import Query
from tests.ingest.lake_setup import lake_views
from tests.local_http import free_port

SALT = "lake-salt-" + os.urandom(6).hex()
ODD_PAGES = ("a/b", "100%", "x=y z", "ä")  # ids no Meta page has, but the ingest keeps them


def lines() -> list[Any]:
    out: list[Any] = []
    for n, page in enumerate((f.PAGE_ID, f.OTHER_PAGE_ID)):
        psid = f"55500011122{n}"
        ref = f.referral_obj("bio_link")
        out += [
            f.delivery(f.postback(referral=ref, psid=psid, ts=f.T0 + n), page_id=page),
            f.delivery(f.message("hej", psid=psid, ts=f.T0 + f.DAY + n), page_id=page),
        ]
    click = {"object": "refscope_click", "ts": f.T0, "ref": "bio_link", "page": f.PAGE_ID,
             "qr": True, "device": "mobile"}  # fmt: skip
    return [*out, click]


def lake_rows(lake_dir: Path, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    """The second engine (pyarrow.dataset) over one table of the lake, rows sorted."""
    data = ds.dataset(lake_dir / table, format="parquet", partitioning="hive").to_table(
        columns=columns
    )
    rows = [tuple(r[c] for c in columns) for r in data.to_pylist()]
    return sorted(rows, key=repr)


def db_rows(query: Query, sql: str) -> list[tuple[Any, ...]]:
    return sorted(query(sql), key=repr)


def test_ingest_lake_option_writes_zstd_hive_partitions(
    runner: CliRunner, db_path: Path, log_dir: Path, tmp_path: Path, query: Query
) -> None:
    log = f.write_ndjson(log_dir / "a.ndjson", lines())
    lake_dir = tmp_path / "lake"
    res = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path), "--lake", str(lake_dir)])
    assert res.exit_code == 0, res.output
    assert "lake:" in res.output and "partitions written" in res.output
    for table in ("events", "touches", "contacts", "clicks"):
        parts = sorted((lake_dir / table).glob("page_id=*/date=*/*.parquet"))
        assert parts, table
        for part in parts:
            assert len(part.parent.name) == len("date=2023-11-14")
    assert {p.parent.parent.name for p in (lake_dir / "events").glob("*/*/*.parquet")} == {
        f"page_id={f.PAGE_ID}",
        f"page_id={f.OTHER_PAGE_ID}",
    }
    files = list(lake_dir.rglob("*.parquet"))
    assert {lake_dir / f"{t}.parquet" for t in lake.WHOLE} <= set(files)
    codecs = set()
    for path in files:
        meta = pq.ParquetFile(path).metadata
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            codecs |= {group.column(c).compression for c in range(group.num_columns)}
    assert codecs == {"ZSTD"}
    assert lake_rows(lake_dir, "contacts", ["page_id", "psid", "channel"]) == db_rows(
        query, "SELECT page_id, psid, channel FROM contacts"
    )
    assert lake_rows(lake_dir, "clicks", ["page_id", "ref", "qr"]) == [
        (f.PAGE_ID, "bio_link", True)
    ]


def test_the_lake_setting_is_read_from_the_environment(
    runner: CliRunner, db_path: Path, log_dir: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    log = f.write_ndjson(log_dir / "a.ndjson", lines())
    monkeypatch.setenv("REFSCOPE_LAKE", str(tmp_path / "from-env"))
    res = runner.invoke(cli, ["ingest", str(log), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "from-env" / lake.MANIFEST).is_file()
    assert list((tmp_path / "from-env" / "events").glob("page_id=*/date=*/*.parquet"))


def test_the_lake_keeps_128_bit_keys_exactly(
    db_path: Path, log_dir: Path, tmp_path: Path, query: Query
) -> None:
    """A DOUBLE keeps 53 of a key's 128 bits: keys would no longer join, nor equal the database."""
    lake_dir = tmp_path / "lake"
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines()))], db_path, lake_dir=lake_dir)
    for table, key in (("events", "event_key"), ("touches", "event_key"), ("clicks", "click_key")):
        expected = {str(r[0]) for r in query(f"SELECT {key} FROM {table}")}
        assert expected and max(int(k) for k in expected) > 2**64, table
        in_lake = {str(r[0]) for r in lake_rows(lake_dir, table, [key])}
        assert in_lake == expected, table
    on_lake = db.connect_memory()
    try:
        lake.attach_views(on_lake, lake_dir)
        on_lake.execute(f"ATTACH '{db_path}' AS src (READ_ONLY)")
        for table in ("events", "touches", "contacts", "clicks"):
            differ = on_lake.execute(
                f"""SELECT count(*) FROM (
                        (SELECT * FROM {table} EXCEPT ALL SELECT * FROM src.{table})
                        UNION ALL
                        (SELECT * FROM src.{table} EXCEPT ALL SELECT * FROM {table}))"""
            ).fetchone()
            assert differ == (0,), table
        types = dict(on_lake.execute("SELECT column_name, data_type FROM "
                                     "information_schema.columns WHERE table_name = 'events'"
                                     ).fetchall())  # fmt: skip
        assert types["event_key"] == "UHUGEINT"
    finally:
        on_lake.close()


def test_a_click_on_a_link_registered_under_a_username_in_other_case_is_filed_under_its_page(
    tmp_path: Path, db_path: Path
) -> None:
    """A username is one page whatever its case (as everywhere in refscope): a link registered
    as m.me/AcmeBakery files its clicks under the page id acmebakery maps to."""
    click = {"object": "refscope_click", "ts": f.T0, "ref": "bio_link", "page": "AcmeBakery",
             "qr": False, "device": "mobile"}  # fmt: skip
    pipeline.run([str(f.write_ndjson(tmp_path / "logs" / "c.ndjson", [click]))], db_path)
    lake_dir = tmp_path / "lake"
    con = db.connect(db_path)
    try:
        links.learn_page(con, f.PAGE_ID, "acmebakery", None)
        lake.sync(con, lake_dir)
    finally:
        con.close()
    assert lake_rows(lake_dir, "clicks", ["ref", "page_id"]) == [("bio_link", f.PAGE_ID)]


def test_any_page_id_and_a_click_without_a_page_reach_the_lake(
    db_path: Path, log_dir: Path, tmp_path: Path, query: Query
) -> None:
    odd = [f.delivery(f.message("hi", psid=f"77700011{n}", ts=f.T0 + n), page_id=page)
           for n, page in enumerate(ODD_PAGES)]  # fmt: skip
    pageless = {"object": "refscope_click", "ts": f.T0, "ref": "poster", "qr": False,
                "device": "other"}  # fmt: skip
    log = f.write_ndjson(log_dir / "a.ndjson", [*lines(), *odd, pageless])
    lake_dir = tmp_path / "lake"
    result = pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    assert result.lake is not None and result.lake.written > 0
    assert lake_rows(lake_dir, "events", ["page_id", "psid"]) == db_rows(
        query, "SELECT page_id, psid FROM events"
    )
    assert ("poster", None) in lake_rows(lake_dir, "clicks", ["ref", "page_id"])
    con = db.connect(db_path)
    try:
        assert lake.sync(con, lake_dir).written == 0  # the same names found again
        retention.forget(con, "777000110", "a/b", Privacy())
        synced = lake.sync(con, lake_dir)
    finally:
        con.close()
    assert (synced.written, synced.removed) == (0, 2)  # its events and its contact
    assert lake_rows(lake_dir, "events", ["page_id", "psid"]) == db_rows(
        query, "SELECT page_id, psid FROM events"
    )
    assert not list((lake_dir / "events").glob("page_id=a%2Fb*"))


def test_a_page_id_named_like_the_null_partition_is_kept_apart_from_none(
    db_path: Path, log_dir: Path, tmp_path: Path, query: Query
) -> None:
    """A page id that is the very name of the folder of none (`__HIVE_DEFAULT_PARTITION__`) is
    written as DuckDB writes it, `%5F_HIVE_DEFAULT_PARTITION__`: under the folder of none it read
    back as no page, and a click without a page that day, in the same folder, was lost."""
    name = lake.NULL_PARTITION
    click = {"object": "refscope_click", "ts": f.T0, "ref": "poster", "qr": False,
             "device": "other"}  # fmt: skip
    log = f.write_ndjson(log_dir / "a.ndjson", [
        f.delivery(f.message("hi", psid="777000113", ts=f.T0), page_id=name),
        click, {**click, "ts": f.T0 + 1, "page": name},
    ])  # fmt: skip
    lake_dir = tmp_path / "lake"
    pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    with lake_views(lake_dir) as con:
        events = sorted(con.execute("SELECT page_id, ts FROM events").fetchall(), key=repr)
        clicks = sorted(con.execute("SELECT page, ts FROM clicks").fetchall(), key=repr)
    assert events == db_rows(query, "SELECT page_id, ts FROM events") == [(name, f.utc(f.T0))]
    assert clicks == db_rows(query, "SELECT page, ts FROM clicks")
    assert len(clicks) == 2
    assert (lake_dir / "events" / f"page_id=%5F{name[1:]}").is_dir()
    con = db.connect(db_path)
    try:
        assert lake.sync(con, lake_dir).written == 0  # the same names found again
    finally:
        con.close()


def test_a_lake_of_an_earlier_format_is_rewritten_whole(
    db_path: Path, log_dir: Path, tmp_path: Path, query: Query
) -> None:
    lake_dir = tmp_path / "lake"
    log = f.write_ndjson(log_dir / "a.ndjson", lines())
    pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    manifest = lake_dir / lake.MANIFEST
    old = json.loads(manifest.read_text())
    n_parts = sum(len(v) for k, v in old.items() if k in lake.PARTITIONED)
    manifest.write_text(json.dumps({k: v for k, v in old.items() if k in lake.PARTITIONED}))
    again = pipeline.run([str(log)], db_path, lake_dir=lake_dir)  # nothing new to read
    assert again.lake is not None and again.lake.written == n_parts
    assert json.loads(manifest.read_text()) == old
    assert pipeline.run([str(log)], db_path, lake_dir=lake_dir).lake is None


def dashboard_env(monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, str]:
    """The environment `refscope dashboard ARGS` starts Streamlit with (execve stopped)."""
    calls: list[dict[str, str]] = []

    def execve(_path: str, _args: list[str], env: dict[str, str]) -> None:
        calls.append(env)
        raise RuntimeError("stopped before Streamlit")

    monkeypatch.setattr(os, "execve", execve)
    res = CliRunner().invoke(cli, ["dashboard", "--port", str(free_port()), *args])
    assert isinstance(res.exception, RuntimeError), res.output
    return calls[0]


def test_dashboard_lake_runs_without_a_database_file(
    db_path: Path, log_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake_dir = tmp_path / "lake"
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines()))], db_path, lake_dir=lake_dir)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    absent = tmp_path / "none.duckdb"
    env = dashboard_env(monkeypatch, "--lake", str(lake_dir), "--db", str(absent))
    assert env["REFSCOPE_LAKE"] == str(lake_dir.resolve())
    assert not absent.exists()


def test_dashboard_on_a_database_reads_it_with_refscope_lake_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """REFSCOPE_LAKE set for the whole deployment (for ingest, prune, forget) must not turn
    `dashboard --db FILE` into a dashboard on the lake: only `--lake` does."""
    path = tmp_path / "refscope.duckdb"
    db.connect(path).close()
    monkeypatch.setenv("REFSCOPE_LAKE", str(tmp_path / "lake"))
    env = dashboard_env(monkeypatch, "--db", str(path), "--port", "8698")
    assert env["REFSCOPE_DB"] == str(path.resolve())
    assert "REFSCOPE_LAKE" not in env


def test_a_salted_lake_holds_no_salt_and_no_raw_id(
    db_path: Path, log_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    lake_dir = tmp_path / "lake"
    pipeline.run([str(f.write_ndjson(log_dir / "a.ndjson", lines()))], db_path, lake_dir=lake_dir)
    stored = Privacy(salt=SALT.encode()).stored_id("555000111220")
    assert (stored,) in lake_rows(lake_dir, "contacts", ["psid"])
    for table in ("events", "touches", "contacts"):
        psids = {r[0] for r in lake_rows(lake_dir, table, ["psid"])}
        assert psids and not psids & {"555000111220", "555000111221"}, table
    for path in lake_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SALT.encode() not in data, path
            assert SALT.encode().hex().encode() not in data.lower(), path
