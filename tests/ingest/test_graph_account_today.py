"""`refscope pull ads` without --until pulls up to today in the ad account's time zone: Meta
dates insights rows, and reads `time_range`, in the account's time zone (`timezone_name` of
GET /act_<id>), not in UTC.

https://developers.facebook.com/docs/marketing-api/reference/ad-account
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ingest import db, graph, remote
from ingest.errors import ValidationError
from ingest.graph import GraphError
from ingest.graph_usage import untimed_wait
from tests.ingest.graph_setup import Answer, serving
from tests.ingest.test_graph_facts import ACCOUNT, TOKEN, Server

# Kiritimati is UTC+14, Pago Pago UTC-11: at any instant one of them is on another day than UTC.
ZONES = ("Pacific/Kiritimati", "Pacific/Pago_Pago")


@dataclass
class Account(Server):
    """The account node answers its time zone (`zone`; "" for an answer without one); its
    insights edge answers as Server does."""

    zone: str = ""
    offset: float = 0.0
    node_faults: list[Answer] = field(default_factory=list)  # answered first, in turn

    def answer(self, path: str, query: dict[str, list[str]], auth: str) -> Answer:
        if path.endswith(f"/{ACCOUNT}"):
            self.requests.append((path, query, auth, self.now))
            if self.node_faults:
                return self.node_faults.pop(0)
            if auth != f"Bearer {TOKEN}":
                return 400, {"error": {"code": 190, "message": "Invalid OAuth access token"}}, {}
            body: dict[str, Any] = {"id": ACCOUNT}
            if self.zone:
                body |= {"timezone_name": self.zone, "timezone_offset_hours_utc": self.offset}
            return 200, body, {}
        return super().answer(path, query, auth)


def _asked_until(fake: Account) -> str:
    asked = [q for p, q, _, _ in fake.requests if p.endswith("/insights")]
    return str(json.loads(asked[0]["time_range"][0])["until"])


def _local_days(zone: str) -> set[str]:
    return {str(dt.datetime.now(dt.UTC).astimezone(ZoneInfo(zone)).date())}


def test_the_default_until_is_today_in_the_accounts_time_zone(db_path: Path) -> None:
    """It was today in UTC: an account at UTC-8 got tomorrow's empty day recorded as pulled
    every evening, one ahead of UTC had its today left out every morning."""
    for zone in ZONES:
        fake = Account(zone=zone, offset=14.0 if "Kiritimati" in zone else -11.0)
        with serving(fake.answer) as fake.base:
            since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=3)
            before = _local_days(zone)
            res = remote.pull_ads(ACCOUNT, TOKEN, db_path, since=since, base_url=fake.base,
                                  sleep=fake.sleep)  # fmt: skip
            local = before | _local_days(zone)  # a day that turned during the pull: either
        assert _asked_until(fake) in local, zone
        assert str(res.until) in local
        node = fake.requests[0]
        assert node[1]["fields"] == ["timezone_name,timezone_offset_hours_utc"]
        assert node[2] == f"Bearer {TOKEN}" and "access_token" not in node[1]


def test_an_account_node_that_says_no_zone_leaves_today_in_utc(db_path: Path) -> None:
    """Another API at --base-url, or an answer without the field: UTC, as before, no wait."""
    fake = Account()
    with serving(fake.answer) as fake.base:
        days = {str(dt.datetime.now(dt.UTC).date())}
        res = remote.pull_ads(ACCOUNT, TOKEN, db_path, since=min(dt.date.fromisoformat(d)
                              for d in days) - dt.timedelta(days=1), base_url=fake.base,
                              sleep=fake.sleep)  # fmt: skip
        days.add(str(dt.datetime.now(dt.UTC).date()))
    assert str(res.until) in days and fake.now == 0.0


def _node_asks(fake: Account) -> int:
    return sum(1 for p, _, _, _ in fake.requests if p.endswith(f"/{ACCOUNT}"))


def test_a_throttled_account_node_is_waited_out_then_asked_again(db_path: Path) -> None:
    usage = {"555": [{"type": "ads_management", "call_count": 100,
                      "estimated_time_to_regain_access": 2}]}  # fmt: skip
    throttled = (400, {"error": {"code": 80004, "message": "too many calls"}},
                 {"X-Business-Use-Case-Usage": json.dumps(usage)})  # fmt: skip
    fake = Account(zone="Pacific/Kiritimati", offset=14.0, node_faults=[throttled])
    with serving(fake.answer) as fake.base:
        since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=3)
        before = _local_days(fake.zone)
        res = remote.pull_ads(ACCOUNT, TOKEN, db_path, since=since, base_url=fake.base,
                              sleep=fake.sleep)  # fmt: skip
        local = before | _local_days(fake.zone)
    assert str(res.until) in local and _asked_until(fake) in local
    assert res.waited_seconds == 120 and _node_asks(fake) == 2


def test_a_failing_account_node_is_not_retried(db_path: Path) -> None:
    """A server error, or an answer that is no JSON: UTC at once, no backoff."""
    fake = Account(zone="Pacific/Kiritimati", node_faults=[(500, "<html>oops</html>", {})])
    with serving(fake.answer) as fake.base:
        days = {str(dt.datetime.now(dt.UTC).date())}
        res = remote.pull_ads(ACCOUNT, TOKEN, db_path, since=dt.datetime.now(dt.UTC).date()
                              - dt.timedelta(days=1), base_url=fake.base,
                              sleep=fake.sleep)  # fmt: skip
        days.add(str(dt.datetime.now(dt.UTC).date()))
    assert str(res.until) in days and fake.now == 0.0 and _node_asks(fake) == 1


def test_a_since_after_the_accounts_today_says_so(db_path: Path) -> None:
    """Without --until, "--since … is after --until …" named an option not given."""
    fake = Account(zone="Pacific/Pago_Pago", offset=-11.0)
    with serving(fake.answer) as fake.base:
        later = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)
        with pytest.raises(ValidationError, match="today in the ad account's time zone") as e:
            remote.pull_ads(ACCOUNT, TOKEN, db_path, since=later, base_url=fake.base,
                            sleep=fake.sleep)  # fmt: skip
    assert "--until" in str(e.value) and f"--since {later} is after" in str(e.value)


def test_an_account_node_throttled_twice_is_not_asked_a_third_time(db_path: Path) -> None:
    """Asked once more after a throttled answer, not as often as an insights page: UTC then,
    each wait said and counted (the second answer's before the insights calls), and the
    insights calls go on."""
    usage = {"555": [{"type": "ads_management", "call_count": 100,
                      "estimated_time_to_regain_access": 1}]}  # fmt: skip
    throttled = (400, {"error": {"code": 17, "message": "User request limit reached"}},
                 {"X-Business-Use-Case-Usage": json.dumps(usage)})  # fmt: skip
    fake = Account(zone="Pacific/Kiritimati", offset=14.0, node_faults=[throttled, throttled])
    said: list[str] = []
    with serving(fake.answer) as fake.base:
        days = {str(dt.datetime.now(dt.UTC).date())}
        res = remote.pull_ads(ACCOUNT, TOKEN, db_path, since=dt.datetime.now(dt.UTC).date()
                              - dt.timedelta(days=1), base_url=fake.base, sleep=fake.sleep,
                              on_wait=said.append)  # fmt: skip
        days.add(str(dt.datetime.now(dt.UTC).date()))
    assert str(res.until) in days and _node_asks(fake) == 2
    assert res.waited_seconds == 120 and len(said) == 2
    assert all(s.startswith("throttled (code 17") for s in said)


@pytest.mark.parametrize("regain", [3, None], ids=["minutes_said", "no_time_said"])
def test_the_insights_call_after_a_node_throttled_twice_waits_its_throttle_out(
    db_path: Path, regain: int | None
) -> None:
    """The account node's second throttled answer was given up on, and the first insights call
    went out at that same instant, while Meta still throttled (calls made then count, and keep
    it throttled longer): it waits first, as that answer says (estimated_time_to_regain_access,
    in minutes), or with none said as the second untimed throttle in a row."""
    usage = {"555": [{"type": "ads_management", "call_count": 100,
                      "estimated_time_to_regain_access": regain}]}  # fmt: skip
    headers = {"X-Business-Use-Case-Usage": json.dumps(usage)} if regain else {}
    throttled = (400, {"error": {"code": 4, "message": "Application request limit reached"}},
                 headers)  # fmt: skip
    fake = Account(zone="Pacific/Kiritimati", offset=14.0, node_faults=[throttled, throttled])
    said: list[str] = []
    with serving(fake.answer) as fake.base:
        remote.pull_ads(ACCOUNT, TOKEN, db_path, since=dt.datetime.now(dt.UTC).date()
                        - dt.timedelta(days=1), base_url=fake.base, sleep=fake.sleep,
                        on_wait=said.append)  # fmt: skip
    nodes = [t for p, _, _, t in fake.requests if p.endswith(f"/{ACCOUNT}")]
    insights = [t for p, _, _, t in fake.requests if p.endswith("/insights")]
    owed = regain * 60.0 if regain else untimed_wait(2)
    assert len(nodes) == 2 and insights and insights[0] >= nodes[1] + owed
    assert said[-1].endswith(f"waiting {owed:.0f} s before the next call")


def test_an_until_after_the_accounts_today_records_days_to_its_today(tmp_path: Path) -> None:
    """With --until (a month's end) today stayed UTC's: an account behind UTC got its
    tomorrow recorded as pulled (no spend yet, counted as covered), one ahead had its today
    left out of `ad_pulls` though its spend was stored."""
    for zone in ZONES:
        fake = Account(zone=zone, offset=14.0 if "Kiritimati" in zone else -11.0)
        path = tmp_path / f"{zone.replace('/', '_')}.duckdb"
        with serving(fake.answer) as fake.base:
            utc = dt.datetime.now(dt.UTC).date()
            before = _local_days(zone)
            remote.pull_ads(ACCOUNT, TOKEN, path, since=utc - dt.timedelta(days=3),
                            until=utc + dt.timedelta(days=5), base_url=fake.base,
                            sleep=fake.sleep)  # fmt: skip
            local = before | _local_days(zone)
        con = db.connect(path, read_only=True)
        try:
            (until,) = con.execute("SELECT max(until) FROM ad_pulls").fetchone() or (None,)
        finally:
            con.close()
        assert str(until) in local, zone
        assert _node_asks(fake) == 1


def test_a_range_before_any_accounts_today_does_not_ask_its_time_zone(db_path: Path) -> None:
    """Days that are past in every time zone: the account's today changes nothing, so no
    call is spent on it."""
    fake = Account(zone="Pacific/Kiritimati", offset=14.0)
    with serving(fake.answer) as fake.base:
        utc = dt.datetime.now(dt.UTC).date()
        res = remote.pull_ads(ACCOUNT, TOKEN, db_path, since=utc - dt.timedelta(days=9),
                              until=utc - dt.timedelta(days=2), base_url=fake.base,
                              sleep=fake.sleep)  # fmt: skip
    assert res.until == utc - dt.timedelta(days=2) and _node_asks(fake) == 0


def test_the_oldest_start_is_37_months_before_the_accounts_today(db_path: Path) -> None:
    """Meta counts the 37 months back from the account's today: a --since that UTC's today
    took was refused by Meta (error 3018), or one Meta takes was refused here."""
    utc = dt.datetime.now(dt.UTC)
    zone = "Pacific/Kiritimati" if utc.hour >= 10 else "Pacific/Pago_Pago"  # not UTC's day
    fake = Account(zone=zone, offset=14.0 if "Kiritimati" in zone else -11.0)
    today = utc.astimezone(ZoneInfo(zone)).date()
    oldest = graph.months_back(today, graph.MAX_MONTHS_BACK)
    with serving(fake.answer) as fake.base:
        if today == utc.date():  # the day turned since: nothing to tell apart
            pytest.skip("the account's day turned during the test")
        res = remote.pull_ads(ACCOUNT, TOKEN, db_path, since=oldest,
                              until=oldest + dt.timedelta(days=1), base_url=fake.base,
                              sleep=fake.sleep)  # fmt: skip
        assert res.since == oldest
        with pytest.raises(ValidationError, match="error 3018"):
            remote.pull_ads(ACCOUNT, TOKEN, db_path, since=oldest - dt.timedelta(days=1),
                            until=oldest + dt.timedelta(days=1), base_url=fake.base,
                            sleep=fake.sleep)  # fmt: skip


def test_the_account_node_is_asked_as_the_insights_pages_are(db_path: Path) -> None:
    """A redirect on the --base-url host is followed, and a 429 without Meta's error code
    waits its Retry-After, as for an insights page: the zone fell back to UTC."""
    utc = dt.datetime.now(dt.UTC)
    zone = "Pacific/Kiritimati" if utc.hour >= 10 else "Pacific/Pago_Pago"  # not UTC's day
    moved = (302, "", {"Location": f"/moved/{ACCOUNT}"})
    busy = (429, "", {"Retry-After": "5"})
    fake = Account(zone=zone, offset=14.0 if "Kiritimati" in zone else -11.0,
                   node_faults=[busy, moved])  # fmt: skip
    with serving(fake.answer) as fake.base:
        before = _local_days(zone)
        res = remote.pull_ads(ACCOUNT, TOKEN, db_path, since=utc.date() - dt.timedelta(days=2),
                              base_url=fake.base, sleep=fake.sleep)  # fmt: skip
        local = before | _local_days(zone)
    assert str(res.until) in local and _node_asks(fake) == 3
    assert [p for p, _, _, _ in fake.requests][2] == f"/moved/{ACCOUNT}"
    assert res.waited_seconds == 5


def test_an_account_node_not_reached_is_not_retried(db_path: Path) -> None:
    """A network failure of the account node: UTC at once, no backoff (the insights calls
    that follow retry it and say what is wrong)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits: list[float] = []
    with pytest.raises(GraphError, match="network: ConnectError"):
        remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=f"http://127.0.0.1:{port}",
                        sleep=waits.append, since=dt.datetime.now(dt.UTC).date())  # fmt: skip
    assert waits == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]  # the insights call's alone
