"""The Links page's 95% interval on a small database: a ref of 5 contacts none of whom engaged
(or all of whom did) has its bounds within 0% and 100%, never "-0.0%"."""

from __future__ import annotations

from ingest import pipeline
from tests import factories as fx
from tests.dashboard.screen import show


def test_interval_bounds_stay_within_0_and_100_percent(open_app, db_path):
    lines: list[fx.Json] = []
    for n in range(10):
        psid, ts = f"74{n:014d}", fx.T0 + n * fx.MINUTE
        ref = "flyer" if n < 5 else "menu"  # flyer: none engaged; menu: every one
        lines.append(fx.delivery(fx.postback(referral=fx.referral_obj(ref), psid=psid, ts=ts)))
        lines.append(fx.delivery(fx.message("hi", psid=psid, ts=ts + 1000)))
        if ref == "menu":
            lines.append(fx.delivery(fx.message("and?", psid=psid, ts=ts + 2000)))
    log = fx.write_ndjson(db_path.parent / "logs" / "webhooks.ndjson", lines)
    pipeline.run([str(log)], db_path)
    at = show(open_app(db_path), "links")
    df = at.dataframe[0].value.set_index("ref")
    assert df.loc["flyer", "engaged"] == 0 and df.loc["menu", "engaged"] == 5
    # The table shows percent: -3e-15 here was -3e-17 in the query, read "-0.0%".
    assert (df["ci_low"] >= 0).all(), df["ci_low"].tolist()
    assert (df["ci_high"] <= 100).all(), df["ci_high"].tolist()
    assert df.loc["flyer", "ci_high"] > 0 and df.loc["menu", "ci_low"] < 100
