"""The report tests' setup: the demo report's range and the one before it, the QR codes and ad
spend its database holds, its sections, and readers of its sheets and counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dashboard import reports
from dashboard.filters import Filters
from ingest.demo_payloads import ACME, NORTHWIND
from tests.conftest import Query

RANGE = Filters(dt.date(2026, 10, 28), dt.date(2026, 11, 24))  # the last 28 days of the demo


BEFORE = Filters(dt.date(2026, 9, 30), dt.date(2026, 10, 27))


EMPTY = Filters(dt.date(2020, 1, 1), dt.date(2020, 1, 28))


IN_RANGE = "first_seen_at >= ? AND first_seen_at < ? + INTERVAL 1 DAY"


# (ref, page, placement): QR codes registered before the ingest, two refs sharing a placement.
QR_LINKS = [
    ("qr_store12_window", ACME, "store 12"),
    ("qr_store12_counter", ACME, "store 12"),
    ("qr_receipt", ACME, "receipt"),
    ("qr_flyer_spring", ACME, "spring flyer"),
    ("qr_cup_sleeve", NORTHWIND, "cup sleeve"),
]


SPENT_ADS = [("120215678901234567", "Autumn catering menu"), ("23846598765432101", "First")]


SECTIONS = ["New contacts per day", "Channels", "Top refs", "QR placements", "Ads",
            "Comment funnel", "Retention by channel"]  # fmt: skip

#: The demo report's sections: its product ad that runs every day (ingest/demo_catalog.py
#: AD_PRODUCTS) brings contacts in RANGE, so new contacts per product follow the channels.
PRODUCTS = "New contacts per product"
DEMO_SECTIONS = [*SECTIONS[:2], PRODUCTS, *SECTIONS[2:]]


CHROMIUM = reports.report_pdf.chromium_path()


needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="PDF charts need Chromium (/usr/bin/chromium: apt-get install chromium)",
)


def rows(ws: Any) -> list[dict[str, Any]]:
    """A section sheet as records keyed by its header labels."""
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r, strict=True)) for r in values[1:]]


def contacts_by_channel(sql: Query, f: Filters) -> dict[str, int]:
    got = sql(f"SELECT channel, count(*) FROM contacts WHERE {IN_RANGE} GROUP BY 1", f.start, f.end)
    return dict(got)
