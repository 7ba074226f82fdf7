"""The XLSX report's native charts draw each channel in its colour, as the dashboard and the
HTML and PDF reports do (charts.CHANNEL_COLORS): Excel's own palette painted the Organic slice
blue, and every ref's bar, a QR code's too, in the m.me link's blue."""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree import ElementTree

import pandas as pd

from dashboard import charts, report_data, reports
from dashboard.filters import Filters
from dashboard.report_model import Report
from tests.dashboard.chart_setup import D1, D2

NS = {
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
}
CHANNELS = pd.DataFrame({"channel": ["organic", "ctm_ad", "qr_code", "m_me_link"],
                         "new_contacts": [40, 30, 20, 10], "engaged": [20, 15, 10, 5],
                         "engaged_rate": [0.5] * 4, "reentries": [0, 3, 2, 1]})  # fmt: skip
REFS = pd.DataFrame({"ref": ["flyer", "bio", "window"], "page_id": ["1"] * 3,
                     "page": ["Acme Bakery"] * 3,
                     "channel": ["qr_code", "m_me_link", "qr_code"],
                     "new_contacts": [30, 20, 10], "engaged": [5, 4, 3]})  # fmt: skip
RETURNS = pd.DataFrame({"channel": ["organic", "ctm_ad"], "contacts": [40, 30],
                        "d1": [0.1, 0.2], "d7": [0.2, 0.3], "d30": [0.3, 0.4],
                        "read_rate": [0.8, 0.9]})  # fmt: skip


def _series_fills(sections: tuple[report_data.Section, ...]) -> dict[str, list[list[str]]]:
    """Each chart's title and, per series, its points' fills in order ("0072B2", or
    "0072B2/45000" with the alpha Excel draws it at)."""
    data = reports.render(Report(Filters(D1, D2), (), sections), "xlsx")
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in sorted(n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)):
            root = ElementTree.fromstring(z.read(name))
            title = "".join(t.text or "" for t in root.iterfind("c:chart/c:title//a:t", NS))
            fills = []
            for ser in root.iterfind(".//c:ser", NS):
                points = sorted(ser.iterfind("c:dPt", NS),
                                key=lambda p: int(p.find("c:idx", NS).get("val")))  # fmt: skip
                fills.append([_fill(p) for p in points])
            out[title] = fills
    return out


def _fill(point: ElementTree.Element) -> str:
    colour = point.find("c:spPr/a:solidFill/a:srgbClr", NS)
    if colour is None:
        return ""
    alpha = colour.find("a:alpha", NS)
    return colour.get("val", "") + (f"/{alpha.get('val')}" if alpha is not None else "")


def _colour(channel: str) -> str:
    return charts.CHANNEL_COLORS[channel].lstrip("#").upper()


def test_the_channel_mix_slices_take_their_channels_colours():
    fills = _series_fills((report_data._channels(CHANNELS),))
    assert fills["Channels"] == [[_colour(c) for c in CHANNELS["channel"]]]


def test_each_ref_bar_takes_its_channels_colour():
    fills = _series_fills((report_data._refs(REFS),))
    assert fills["Top refs"] == [[_colour(c) for c in REFS["channel"]]]


def test_return_bars_take_their_channels_colour_shaded_by_days_as_on_the_dashboard():
    """D1 lighter than D7, D7 than D30: the dashboard's bar opacities 0.45, 0.7 and 1."""
    fills = _series_fills((report_data._retention(RETURNS),))
    assert fills["Retention by channel"] == [
        [f"{_colour(c)}/{alpha}" if alpha else _colour(c) for c in RETURNS["channel"]]
        for alpha in ("45000", "70000", "")
    ]
