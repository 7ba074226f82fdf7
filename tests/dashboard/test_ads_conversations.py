"""Meta's count of conversations started per ad: an insights row that holds no messaging action
counted none (Meta lists in `actions` only the action types that happened), while an ad no
insights row names has no count known. The Ads page and the reports say the same."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd

from dashboard import queries, reports
from dashboard.filters import Filters
from ingest import pipeline
from ingest.insight_rows import CONVERSATIONS_STARTED
from tests import factories as fx
from tests.dashboard.conftest import ad_contact_lines, opened
from tests.dashboard.report_setup import rows

DAY = fx.utc(fx.T0).date()
MIXED, CLICKS_ONLY, NO_ACTIONS, UNPULLED = (f"60000000000{n}" for n in (11, 12, 13, 14))


def _insight(ad_id: str, spend: str, **fields: object) -> dict[str, object]:
    return {"date_start": str(DAY), "date_stop": str(DAY), "ad_id": ad_id, "spend": spend,
            **fields}  # fmt: skip


def _database(tmp_path: Path) -> Path:
    """Two contacts per ad, on DAY; insights on DAY for all but UNPULLED: MIXED with 3
    conversations started, CLICKS_ONLY with link clicks alone in `actions`, NO_ACTIONS without
    `actions` (as Meta leaves out a field with nothing in it)."""
    lines: list[fx.Json] = []
    for n, ad in enumerate((MIXED, CLICKS_ONLY, NO_ACTIONS, UNPULLED)):
        lines += ad_contact_lines(ad, f"Ad {ad[-2:]}", 2, f"7{n}")
    started = [{"action_type": "link_click", "value": "9"},
               {"action_type": CONVERSATIONS_STARTED, "value": "3"}]  # fmt: skip
    lines.append({"data": [
        _insight(MIXED, "5.00", actions=started),
        _insight(CLICKS_ONLY, "6.00", actions=[{"action_type": "link_click", "value": "9"}]),
        _insight(NO_ACTIONS, "2.50"),
    ]})  # fmt: skip
    path = tmp_path / "refscope.duckdb"
    pipeline.run([str(fx.write_ndjson(tmp_path / "logs" / "w.ndjson", lines))], path)
    return path


def test_an_insights_row_without_the_messaging_action_counted_no_conversation(tmp_path):
    """A row with spend whose `actions` lack the messaging type (or that has no `actions`)
    showed a blank "Meta: conversations started", as for an ad with no insights at all."""
    f = Filters(DAY, DAY)
    with opened(_database(tmp_path)) as con:
        df = queries.ads(con, f).set_index("ad_id")
        report = reports.gather(reports.connection_fetch(con), f)
    got = {ad: None if pd.isna(n) else int(n) for ad, n in df["conversations_started"].items()}
    assert got == {MIXED: 3, CLICKS_ONLY: 0, NO_ACTIONS: 0, UNPULLED: None}
    assert pd.isna(df.loc[UNPULLED, "spend"])
    assert df.loc[NO_ACTIONS, "spend"] == 2.5
    book = openpyxl.load_workbook(io.BytesIO(reports.render(report, "xlsx")))
    sheet = {r["Ad id"]: r["Meta: conversations"] for r in rows(book["Ads"])}
    assert sheet == {MIXED: 3, CLICKS_ONLY: 0, NO_ACTIONS: 0, UNPULLED: None}
