"""A referral's `referer_uri` (the website page of the chat plugin, or an m.me link's) is a URL
whose query or fragment can carry the visitor's email address or a token: with REFSCOPE_ID_SALT
set it is stored without them (scheme, host and path kept) wherever it is stored; without a salt
as it came."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingest import db, pipeline
from tests import factories as f
from tests.conftest import Query

SALT = "pepper-for-tests"
PAGE = "https://www.acmebakery.example/menu/cakes"
SECRETS = ("jane.doe", "tok3n", "s3cret", "frag1")
URI = f"https://jane:s3cret@{PAGE[8:]}?email=jane.doe%40example.com&t=tok3n#frag1"
MME = "https://www.acmebakery.example/contact?email=jane.doe@example.com"


def lines() -> list[str]:
    chat = f.chat_plugin_referral("user-ref-77", referer_uri=URI, ts=f.T0)
    link = f.referral("spring_menu", psid="5550001112223334", ts=f.T0 + 1, referer_uri=MME)
    odd = f.chat_plugin_referral("user-ref-78", referer_uri="menu?t=tok3n", ts=f.T0 + 2)
    bare = f.chat_plugin_referral("user-ref-79", referer_uri="?t=tok3n", ts=f.T0 + 3)
    broken = f.line(f.delivery(f.chat_plugin_referral("user-ref-80", referer_uri=URI)))
    return [f.line(f.delivery(x)) for x in (chat, link, odd, bare)] + [broken[:-3]]


def stored(path: Path) -> list[tuple[str, str | None]]:
    return Query(path)("""SELECT 'events', referer_uri FROM events UNION ALL
                          SELECT 'touches', referer_uri FROM touches UNION ALL
                          SELECT 'contacts', referer_uri FROM contacts
                          ORDER BY ALL NULLS FIRST""")


def test_salted_stores_the_page_without_its_query(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", lines())
    path, lake_dir = tmp_path / "refscope.duckdb", tmp_path / "lake"
    pipeline.run([str(log)], path, lake_dir=lake_dir)
    site = "https://www.acmebakery.example/contact"
    assert stored(path) == [(t, u) for t in ("contacts", "events", "touches")
                            for u in (None, site, PAGE, "menu")]  # fmt: skip
    (raw,) = [r for (r,) in Query(path)("SELECT raw FROM rejects")]
    assert f'"referer_uri":"{PAGE}"' in raw
    held = repr(Query(path).tables())
    assert [s for s in SECRETS if s in held] == []
    files = sorted(lake_dir.rglob("*.parquet"))
    lake = repr([duckdb.sql(f"SELECT * FROM read_parquet('{p}')").fetchall() for p in files])
    assert PAGE in lake and "/contact" in lake
    assert [s for s in SECRETS if s in lake] == []


def test_plain_keeps_the_url_as_it_came(tmp_path: Path) -> None:
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", lines())
    path = tmp_path / "refscope.duckdb"
    pipeline.run([str(log)], path)
    assert {u for _, u in stored(path)} == {URI, MME, "menu?t=tok3n", "?t=tok3n"}
    (raw,) = [r for (r,) in Query(path)("SELECT raw FROM rejects")]
    assert URI in raw


def test_an_older_salted_database_loses_the_queries_at_its_next_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFSCOPE_ID_SALT", SALT)
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson", lines())
    path = tmp_path / "refscope.duckdb"
    pipeline.run([str(log)], path)
    now = Query(path).tables()
    con = duckdb.connect(str(path))  # as an older refscope stored them: whole
    for table in ("events", "touches", "contacts"):
        con.execute(f"UPDATE {table} SET referer_uri = ? WHERE referer_uri = ?", [URI, PAGE])
    con.execute("UPDATE rejects SET raw = replace(raw, ?, ?)", [PAGE, URI])
    con.execute("COMMENT ON TABLE events IS 'refscope migrations: 8'")
    con.close()
    assert repr(Query(path).tables()).count("tok3n") == 4
    db.connect(path).close()
    assert Query(path).tables() == now
