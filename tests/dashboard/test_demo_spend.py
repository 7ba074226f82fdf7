"""The demo's ad spend (`ad-insights.ndjson`) read by `refscope ingest` with its logs: the
figures the Overview and the Ads page show equal the file's own sums."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import queries
from dashboard.filters import Filters
from ingest import demo_ads, pipeline
from ingest.demo import write_demo
from tests.dashboard.conftest import DEMO_END, opened
from tests.dashboard.screen import APP, TIMEOUT


@pytest.fixture(scope="module")
def spend_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo_spend")
    write_demo(root / "logs", days=60, end=DEMO_END, seed=7, scale=0.3)
    path = root / "refscope.duckdb"
    assert pipeline.run([str(root / "logs")], path).insights_added > 0
    return path


@pytest.fixture(scope="module")
def file_rows(spend_db: Path) -> list[dict[str, str]]:
    text = (spend_db.parent / "logs" / demo_ads.FILE).read_text(encoding="utf-8")
    return [r for line in text.splitlines() for r in json.loads(line)["data"]]


@pytest.fixture
def con(spend_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with opened(spend_db) as c:
        yield c


def _range(con: duckdb.DuckDBPyConnection) -> Filters:
    (last,) = con.execute("SELECT CAST(max(ts) AS DATE) FROM events").fetchone()
    return Filters(last - dt.timedelta(days=27), last)


def _spent(rows: list[dict[str, str]], f: Filters) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in rows:
        if f.start <= dt.date.fromisoformat(r["date_start"]) <= f.end:
            out[r["ad_id"]] = out.get(r["ad_id"], 0.0) + float(r["spend"])
    return out


def test_overview_spend_and_cost_per_ad_contact_are_the_files(
    con: duckdb.DuckDBPyConnection, file_rows: list[dict[str, str]]
) -> None:
    f = _range(con)
    k = queries.kpis(con, f).iloc[0]
    spent = sum(_spent(file_rows, f).values())
    (ad_contacts,) = con.execute(
        "SELECT count(*) FROM contacts WHERE channel = 'ctm_ad' AND "
        "CAST(first_seen_at AS DATE) BETWEEN ? AND ?",
        [f.start, f.end],
    ).fetchone()
    assert spent > 0 and ad_contacts > 0
    assert k["spend"] == pytest.approx(spent)
    assert k["cost_per_contact"] == pytest.approx(spent / ad_contacts)


def test_every_ad_has_its_spend_and_no_gap_is_reported(
    con: duckdb.DuckDBPyConnection, file_rows: list[dict[str, str]]
) -> None:
    f = _range(con)
    ads = queries.ads(con, f).set_index("ad_id")
    spent = _spent(file_rows, f)
    assert set(spent) <= set(ads.index)
    for ad_id, total in spent.items():
        assert ads.loc[ad_id, "spend"] == pytest.approx(total)
    assert queries.spend_missing(con, f).empty  # a row for every day each ad ran


def test_the_ads_page_shows_cost_per_contact(
    spend_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFSCOPE_DB", str(spend_db))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.switch_page("app_pages/ads.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    layouts = [json.loads(c.proto.spec)["layout"] for c in at.get("plotly_chart")]
    titles = [lay.get("yaxis", {}).get("title", {}).get("text") for lay in layouts]
    assert titles == ["contacts", "spend / new contact (USD)"]  # the demo spends in USD
    assert not any("No ad insights" in i.value for i in at.info)


def test_spend_sums_are_whole_cents(con: duckdb.DuckDBPyConnection) -> None:
    # Meta's spend is an amount in cents; summed as doubles it read 234.97999999999996 in the
    # Ads table's CSV download and 857.8000000000004 in the report's XLSX.
    f = _range(con)
    spends = [*queries.ads(con, f)["spend"], queries.kpis(con, f)["spend"].iloc[0]]
    assert spends and all(s == round(s, 2) for s in spends), spends
