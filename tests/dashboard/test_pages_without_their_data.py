"""A database that holds no ads, refs or comments at all (a page that runs no ads, say): the
Ads, Links & QR codes and Comments pages say no range will show any, not "Widen the date
range"; a database that holds some before the range still says to widen it."""

from __future__ import annotations

import pytest

from ingest import pipeline
from tests import factories as fx
from tests.dashboard.screen import show

NONE_AT_ALL = "The database holds none in any range: no date range or filter will show any."


@pytest.fixture
def organic_and_one_old_ref(db_path):
    """One contact through an m.me ref on T0, then organic ones 60 days later (the default
    range holds those only); no ad, no insights, no comment."""
    lines: list[fx.Json] = [
        fx.delivery(fx.postback(referral=fx.referral_obj("flyer"), psid="7600000000000001")),
        fx.delivery(fx.message("hi", psid="7600000000000001", ts=fx.T0 + 1000)),
    ]
    for n in range(3):
        psid, ts = f"76{n + 10:014d}", fx.T0 + 60 * fx.DAY + n * fx.MINUTE
        lines.append(fx.delivery(fx.message("hi", psid=psid, ts=ts)))
    log = fx.write_ndjson(db_path.parent / "logs" / "webhooks.ndjson", lines)
    pipeline.run([str(log)], db_path)
    return db_path


@pytest.mark.parametrize(
    "page, message",
    [
        ("ads", "No Click-to-Messenger contacts or ad spend in this range."),
        ("comments", "No comments or private replies in this range."),
    ],
)
def test_a_page_whose_data_the_database_never_held_says_so(
    open_app, organic_and_one_old_ref, page, message
):
    at = show(open_app(organic_and_one_old_ref), page)
    (info,) = [i.value for i in at.info]
    assert info == f"{message} {NONE_AT_ALL}"


def test_refs_before_the_range_still_say_to_widen_it(open_app, organic_and_one_old_ref):
    at = show(open_app(organic_and_one_old_ref), "links")
    (info,) = [i.value for i in at.info]
    assert info.startswith("No m.me link or QR code referrals in this range. Widen the date")
    at = show(open_app(organic_and_one_old_ref, range="Last 90 days"), "links")
    assert at.dataframe[0].value["ref"].tolist() == ["flyer"]
    assert not [i for i in at.info if i.value.startswith("No m.me link")]
