"""A range in which contacts came back through a channel that brought no new contact: the
channel mix (on the charts and in the reports) is of the new contacts alone."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from dashboard import reports
from dashboard.filters import Filters
from ingest import pipeline
from tests import factories as fx
from tests.dashboard.conftest import opened

# The small database's QR re-entry (fx.T0 + a day): its only event of 2023-11-15.
REENTRY_DAY = Filters(dt.date(2023, 11, 15), dt.date(2023, 11, 15))


def _report(path: Path, f: Filters) -> reports.Report:
    with opened(path) as c:
        return reports.gather(reports.connection_fetch(c), f)


def _chart_xml(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        return [z.read(n).decode() for n in names]


def test_the_xlsx_pie_leaves_out_a_channel_without_new_contacts(small_db):
    """A new m.me contact the day of the small database's QR re-entry: the pie had a QR code
    slice of 0 and a legend entry for it."""
    psid, ts = f"73{1:014d}", fx.T0 + fx.DAY + fx.MINUTE
    log = fx.write_ndjson(small_db.parent / "logs" / "more.ndjson", [
        fx.delivery(fx.postback(referral=fx.referral_obj("late_link"), psid=psid, ts=ts)),
        fx.delivery(fx.message("hi", psid=psid, ts=ts + fx.MINUTE)),
    ])  # fmt: skip
    pipeline.run([str(log)], small_db)
    report = _report(small_db, REENTRY_DAY)
    table = report.section("channels").table
    assert list(zip(table["channel"], table["new_contacts"], strict=True)) == [
        ("m_me_link", 1), ("qr_code", 0)]  # fmt: skip
    (pie,) = [x for x in _chart_xml(reports.render(report, "xlsx")) if "<c:pieChart>" in x]
    assert "<c:f>Channels!$A$2</c:f>" in pie and "<c:f>Channels!$B$2</c:f>" in pie  # one row
    assert "QR code" not in pie
