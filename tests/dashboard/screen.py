"""The app as the page tests drive it: its file, its pages' titles, and readers of what
AppTest shows (a page, its charts' specs and numbers, a KPI, a table's headers), and the
demo's first page named."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
from streamlit.testing.v1 import AppTest

from ingest import db
from ingest.demo_catalog import ACME

ROOT = Path(__file__).resolve().parents[2]


APP = ROOT / "dashboard" / "streamlit_app.py"


TITLES = {
    "overview": "Overview",
    "links": "Links & QR codes",
    "ads": "Ads",
    "website_chat": "Website chat",
    "comments": "Comments",
    "retention": "Retention",
    "contacts": "Contacts",
    "reports": "Reports",
    "create_links": "Create links",
}


TIMEOUT = 60  # seconds per script run; the first run imports plotly and pandas


def shown(markdown: object) -> str:
    """What a reader sees of markdown the app escaped (markdown_text.literal): its backslash
    escapes resolved, as CommonMark shows "\\*" as "*" (other markdown is left as written)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", str(markdown))


def show(at: AppTest, page: str) -> AppTest:
    if page != "overview":
        at.switch_page(f"app_pages/{page}.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == [TITLES[page]]
    return at


def plotly_specs(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def numbers(data: Any) -> list[float]:
    """A trace's numbers from Plotly's JSON, plain or typed-array ({dtype, bdata})."""
    if isinstance(data, dict):
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    return list(data)


def metric(at: AppTest, label: str) -> Any:
    (m,) = [m for m in at.metric if m.label == label]
    return m


def headers(at: AppTest, i: int = 0) -> list[str]:
    """The column headers table i shows, in order (its label, else the column's name)."""
    proto = at.dataframe[i].proto
    config = json.loads(proto.columns)
    return [config.get(c, {}).get("label") or c for c in proto.column_order]


def _name_acme(path: Path) -> None:
    """`refscope pages set` of the demo's first page; the other stays unnamed."""
    con = db.connect(path)
    try:
        con.execute("INSERT INTO pages VALUES (?, 'acmebakery', 'Acme Bakery')", [ACME])
    finally:
        con.close()
