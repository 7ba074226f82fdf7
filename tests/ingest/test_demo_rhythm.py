"""The demo's rhythm and campaigns, as issue 2 asks of it: more people write on weekdays than
at the weekend and by day than at night (UTC, for pages around UTC+1), and a few ad campaigns
start and stop within the range while the evergreen ads run throughout."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from ingest.demo import ADS
from tests.ingest.demo_setup import END, Parsed, ms, run


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Parsed:
    return run(tmp_path_factory.mktemp("year"), days=364, end=END, scale=0.5)


def _user_times(parsed: Parsed) -> list[dt.datetime]:
    """When people wrote: their messages, postbacks and referrals (not the page's echoes)."""
    out = []
    for _, _, it in parsed.items:
        message = it.get("message")
        if (message and not message.get("is_echo")) or "postback" in it or "referral" in it:
            out.append(dt.datetime.fromtimestamp(ms(it["timestamp"]) / 1000, dt.UTC))
    return out


def test_more_people_write_on_weekdays_than_at_the_weekend(year: Parsed) -> None:
    days = Counter(t.weekday() for t in _user_times(year))  # 52 of each weekday
    weekday, sunday = sum(days[d] for d in range(5)) / 5, days[6]
    assert sunday > 100, days
    assert weekday > 1.25 * sunday and days[5] < weekday, days


def test_more_people_write_by_day_than_at_night(year: Parsed) -> None:
    hours = Counter(t.hour for t in _user_times(year))
    night = sum(hours[h] for h in (1, 2, 3, 4))  # 02:00 to 06:00 at UTC+1
    evening = sum(hours[h] for h in (16, 17, 18, 19))
    assert evening > 100 and evening > 5 * night, sorted(hours.items())


def test_campaigns_start_and_stop_within_the_range(year: Parsed) -> None:
    start = year.summary.start
    days: dict[str, set[dt.date]] = {}
    for _, r, it in year.referrals():
        if r.get("source") == "ADS":
            day = dt.datetime.fromtimestamp(ms(it["timestamp"]) / 1000, dt.UTC).date()
            days.setdefault(r["ad_id"], set()).add(day)
    campaigns = [
        (ad, first, last) for ad, _, _, first, last in ADS
        if last is not None and start < first and last < END and ad in days
    ]  # fmt: skip
    assert len(campaigns) >= 2, days.keys()
    for ad, first, last in campaigns:  # came on several days, each within its dates
        assert len(days[ad]) >= 3 and min(days[ad]) >= first and max(days[ad]) <= last, ad
    evergreen = [ad for ad, _, _, _, last in ADS if last is None and ad in days]
    assert evergreen and all(max(days[ad]) - min(days[ad]) > dt.timedelta(300) for ad in evergreen)
