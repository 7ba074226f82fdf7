"""Ad insights saved with breakdowns (`breakdowns=publisher_platform`, age and gender...): one
row per day, ad and breakdown value, whose parts make the day's figures of the ad.
https://developers.facebook.com/docs/marketing-api/insights/breakdowns"""

from __future__ import annotations

import datetime as dt
import json

from tests.conftest import IngestLines, Query
from tests.ingest.insight_setup import STARTED, page, row


def part(platform: str, spend: str, impressions: str, started: str, **more: object) -> object:
    return row(account_id="1234", ad_name="Autumn", spend=spend, impressions=impressions,
               clicks="10", publisher_platform=platform, account_currency="USD",
               actions=[{"action_type": "link_click", "value": "10"},
                        {"action_type": STARTED, "value": started}],
               cost_per_action_type=[{"action_type": STARTED, "value": "1"}],
               **more)  # fmt: skip


def test_a_page_broken_down_by_platform_stores_the_whole_day_of_the_ad(
    ingest_lines: IngestLines, query: Query
) -> None:
    res = ingest_lines([page(part("facebook", "10.00", "500", "4"),
                             part("instagram", "5.50", "300", "2"))])  # fmt: skip
    assert query(
        """SELECT date, ad_id, spend, impressions, clicks, conversations_started, account_id,
                  account_currency FROM ad_insights"""
    ) == [(dt.date(2026, 11, 2), "6000000000001", 15.5, 800, 20, 6, "1234", "USD")]
    actions, costs = query("SELECT actions, cost_per_action_type FROM ad_insights")[0]
    assert json.loads(actions) == [{"action_type": "link_click", "value": "20"},
                                   {"action_type": STARTED, "value": "6"}]  # fmt: skip
    # Meta's cost per action is the spend over the actions: of the whole day, not of a part.
    assert json.loads(costs) == [{"action_type": STARTED, "value": "2.583333"}]
    # Each part counted in the whole: none was "not newer than those held".
    assert (res.insights_added, res.insights_not_newer, res.rejects_added) == (1, 0, 0)


def test_breakdown_rows_one_per_line_add_up_and_a_newer_file_replaces_them(
    ingest_lines: IngestLines, query: Query
) -> None:
    ingest_lines([part("facebook", "10.00", "500", "4"), part("messenger", "1.25", "50", "1"),
                  part("instagram", "5.50", "300", "2")], "export.ndjson")  # fmt: skip
    assert query("SELECT spend, impressions, conversations_started FROM ad_insights") == [
        (16.75, 850, 7)
    ]
    # The export grows by a later answer of the same day (Meta revised it): that answer's parts
    # replace the day, not add to it.
    ingest_lines(
        [page(part("facebook", "11.00", "550", "5"), part("instagram", "6.00", "320", "2"))],
        "export.ndjson",
        append=True,
    )
    assert query("SELECT spend, impressions, conversations_started FROM ad_insights") == [
        (17.0, 870, 7)
    ]


def test_rows_broken_down_two_ways_add_up_per_day_and_ad(
    ingest_lines: IngestLines, query: Query
) -> None:
    by_age = [row(day, spend=s, age=a, gender=g) for day in ("2026-11-02", "2026-11-03")
              for a, g, s in (("18-24", "female", "1.10"), ("18-24", "male", "2.20"),
                              ("25-34", "female", "3.30"))]  # fmt: skip
    ingest_lines([page(*by_age), row("2026-11-02", ad_id="6000000000002", spend="4")])
    assert query("SELECT date, ad_id, spend FROM ad_insights ORDER BY date, ad_id") == [
        (dt.date(2026, 11, 2), "6000000000001", 6.6),
        (dt.date(2026, 11, 2), "6000000000002", 4.0),
        (dt.date(2026, 11, 3), "6000000000001", 6.6),
    ]


def test_parts_add_up_only_with_parts_broken_down_alike(
    ingest_lines: IngestLines, query: Query
) -> None:
    # Two exports of the same days in one file: whole rows, then parts by platform, then by age.
    ingest_lines([
        row("2026-11-02", spend="15.50"), row("2026-11-03", spend="9"),
        page(part("facebook", "10.00", "500", "4"), part("instagram", "5.50", "300", "2"),
             row("2026-11-03", spend="9", publisher_platform="facebook")),
        page(row("2026-11-02", spend="7.75", age="18-24"),
             row("2026-11-02", spend="7.75", age="25-34")),
    ])  # fmt: skip
    assert query("SELECT date, spend FROM ad_insights ORDER BY date") == [
        (dt.date(2026, 11, 2), 15.5), (dt.date(2026, 11, 3), 9.0)
    ]  # fmt: skip


def test_in_one_answer_rows_of_a_breakdown_not_known_add_up_and_a_repeat_does_not(
    ingest_lines: IngestLines, query: Query
) -> None:
    res = ingest_lines([
        page(row("2026-11-02", spend="2", marketing_messages_btn_name="Shop"),
             row("2026-11-02", spend="3", marketing_messages_btn_name="Chat")),
        # The same row twice (an export that joined pages Meta shifted while revising): one.
        page(row("2026-11-03", spend="2", ad_name="A"),
             row("2026-11-03", spend="2.5", ad_name="A")),
    ])  # fmt: skip
    assert query("SELECT date, spend FROM ad_insights ORDER BY date") == [
        (dt.date(2026, 11, 2), 5.0), (dt.date(2026, 11, 3), 2.5)
    ]  # fmt: skip
    assert (res.insights_added, res.insights_not_newer) == (2, 1)


def test_the_summary_counts_the_parts_a_later_answer_replaced_as_not_stored(
    ingest_lines: IngestLines, query: Query
) -> None:
    two = [row(spend="1", marketing_messages_btn_name="Shop"),
           row(spend="2", marketing_messages_btn_name="Chat")]  # fmt: skip
    res = ingest_lines([page(*two), page(*two, row(spend="4", marketing_messages_btn_name="Buy"))])
    assert query("SELECT spend FROM ad_insights") == [(7.0,)]
    # The first answer's two rows are in no stored row: not stored, not counted in the 7.00.
    assert (res.insights_added, res.insights_not_newer) == (1, 2)


def test_conversations_started_add_up_over_an_actions_breakdown(
    ingest_lines: IngestLines, query: Query
) -> None:
    """Asked with action_breakdowns (action_destination, action_target_id: as export tools
    ask), `actions` holds an action type once per destination: each is part of the count."""
    by_destination = [
        {"action_type": STARTED, "action_destination": "Messenger", "value": "4"},
        {"action_type": "link_click", "action_destination": "Messenger", "value": "9"},
        {"action_type": STARTED, "action_destination": "Instagram", "value": "3"},
    ]
    ingest_lines([row(actions=by_destination), row("2026-11-03", actions=by_destination[1:2])])
    assert query("SELECT date, conversations_started FROM ad_insights ORDER BY date") == [
        (dt.date(2026, 11, 2), 7), (dt.date(2026, 11, 3), None)
    ]  # fmt: skip


def test_an_action_breakdown_by_id_is_kept_as_the_id_not_added_up(
    ingest_lines: IngestLines, query: Query
) -> None:
    """action_target_id (and action_destination, often a page's id) is a digit string, as ids
    are: it names the action's target, while value and each attribution window count. Parts
    that add up keep each target apart, its id as Meta wrote it, and its cost per action."""
    page_a, page_b = "1122334455667788", "203948571620394"

    def by_target(platform: str, spend: str, a: str, b: str) -> object:
        return row(spend=spend, publisher_platform=platform, actions=[
            {"action_type": STARTED, "action_target_id": page_a, "value": a, "7d_click": a},
            {"action_type": STARTED, "action_target_id": page_b, "value": b, "7d_click": b},
        ], cost_per_action_type=[
            {"action_type": STARTED, "action_target_id": page_a, "value": "1"},
            {"action_type": STARTED, "action_target_id": page_b, "value": "1"},
        ])  # fmt: skip

    parts = [by_target("facebook", "6", "2", "1"), by_target("instagram", "3", "1", "2")]
    ingest_lines([page(*parts)])
    assert query("SELECT spend, conversations_started FROM ad_insights") == [(9.0, 6)]
    actions, costs = query("SELECT actions, cost_per_action_type FROM ad_insights")[0]
    assert json.loads(actions) == [
        {"action_type": STARTED, "action_target_id": page_a, "value": "3", "7d_click": "3"},
        {"action_type": STARTED, "action_target_id": page_b, "value": "3", "7d_click": "3"},
    ]  # fmt: skip
    assert json.loads(costs) == [
        {"action_type": STARTED, "action_target_id": page_a, "value": "3"},
        {"action_type": STARTED, "action_target_id": page_b, "value": "3"},
    ]  # fmt: skip
