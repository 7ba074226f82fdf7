"""The HTML report: one file that opens offline, whose charts and tables hold the range's
numbers and KPIs."""

from __future__ import annotations

import json
import re

from dashboard import charts, reports
from tests.dashboard.report_setup import BEFORE, IN_RANGE, RANGE, contacts_by_channel
from tests.dashboard.screen import numbers


def test_html_report_is_one_file_that_opens_offline(report):
    html = reports.render(report, "html").decode()
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=", html, re.I)
    assert "Plotly.newPlot" in html and len(html) > 3_000_000  # plotly.js itself is inlined


def test_html_charts_hold_the_daily_numbers_per_channel(report, sql):
    html = reports.render(report, "html").decode()
    blocks = dict(re.findall(r'<script type="application/json" data-chart="([^"]+)">(.*?)</script>',
                             html, re.S))  # fmt: skip
    assert set(blocks) == {f"chart-{k}" for k in
                           ("daily", "channels", "refs", "ads", "funnel", "retention")}  # fmt: skip
    daily = json.loads(blocks["chart-daily"])
    got = {
        (t["name"], day[:10]): n
        for t in daily["data"]
        for day, n in zip(t["x"], numbers(t["y"]), strict=True)
    }
    want = sql(f"SELECT channel, CAST(CAST(first_seen_at AS DATE) AS VARCHAR), count(*) "
               f"FROM contacts WHERE {IN_RANGE} GROUP BY ALL", RANGE.start, RANGE.end)  # fmt: skip
    assert got == {(charts.channel_label(c), d): n for c, d, n in want}
    funnel = json.loads(blocks["chart-funnel"])["data"][0]
    assert numbers(funnel["x"])[0] == report.section("funnel").table["count"].iloc[0]


def test_html_report_prints_the_kpis(report, sql):
    html = reports.render(report, "html").decode()
    now, before = (sum(contacts_by_channel(sql, f).values()) for f in (RANGE, BEFORE))
    assert (
        f"<td>New contacts</td><td class='num'>{now:,}</td><td class='num'>{before:,}</td>" in html
    )


def test_html_report_prints_each_kpis_change_and_its_share(report, sql):
    html = reports.render(report, "html").decode()
    now, before = (sum(contacts_by_channel(sql, f).values()) for f in (RANGE, BEFORE))
    change = f"{now - before:+,} ({(now - before) / before:+.1%})"
    assert f"<td class='num'>{before:,}</td><td class='num'>{change}</td></tr>" in html


def test_html_tables_align_percentages_right_as_numbers(report):
    """A rate column reads down its decimal points like the counts beside it."""
    html = reports.render(report, "html").decode()
    shares = re.findall(r"<td( class='num')?>\d+\.\d%</td>", html)
    assert len(shares) > 10 and set(shares) == {" class='num'"}
