"""A ref whose contacts or touches on one page came through two channels (a legacy
MESSENGER_CODE's and a SHORTLINK's): Links & QR codes shows one channel for its row, the same
whatever order the log holds them in: its contacts' of the range (the latest acquired one's),
else its latest touch's in the range."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dashboard import queries
from dashboard.filters import Filters
from ingest import pipeline
from tests import factories as fx
from tests.dashboard.conftest import opened

HOUR = 3_600_000


def _refs(tmp_path: Path, items: list[fx.Json], f: Filters) -> list[list[object]]:
    path = tmp_path / "r.duckdb"
    fx.write_ndjson(tmp_path / "logs" / "webhooks.ndjson", [fx.delivery(i) for i in items])
    pipeline.run([str(tmp_path / "logs")], path)
    with opened(path) as c:
        df = queries.refs(c, f)
    return df[["ref", "channel", "new_contacts", "reentries"]].values.tolist()


@pytest.mark.parametrize("newest_first", [False, True])
def test_a_ref_acquiring_through_two_channels_shows_the_latest_contacts(
    tmp_path: Path, newest_first: bool
) -> None:
    code = fx.postback(referral=fx.referral_obj("promo", "MESSENGER_CODE"), psid="u1", ts=fx.T0)
    link = fx.postback(referral=fx.referral_obj("promo"), psid="u2", ts=fx.T0 + HOUR)
    day = fx.utc(fx.T0).date()
    got = _refs(tmp_path, [link, code] if newest_first else [code, link], Filters(day, day))
    assert got == [["promo", "m_me_link", 2, 0]]


@pytest.mark.parametrize("newest_first", [False, True])
def test_a_ref_seen_only_through_two_channels_shows_its_latest_touchs(
    tmp_path: Path, newest_first: bool
) -> None:
    """Contacts acquired the day before come back in the range, one by a legacy code, then one
    by the link: the row is the link's."""
    day = fx.utc(fx.T0).date() + dt.timedelta(days=1)
    opened_ = [fx.postback(psid=p, ts=fx.T0 + i * HOUR) for i, p in enumerate(("u1", "u2"))]
    code = fx.referral("promo", "MESSENGER_CODE", psid="u1", ts=fx.T0 + fx.DAY)
    link = fx.referral("promo", psid="u2", ts=fx.T0 + fx.DAY + HOUR)
    got = _refs(tmp_path, [*opened_, *([link, code] if newest_first else [code, link])],
                Filters(day, day))  # fmt: skip
    assert got == [["promo", "m_me_link", 0, 2]]
