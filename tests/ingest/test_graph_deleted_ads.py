"""`refscope pull ads` and ads deleted or archived since they spent: Meta's account insights at
level=ad leave a deleted ad out unless the request filters on ad.effective_status for it.

https://developers.facebook.com/docs/marketing-api/best-practices/manage-your-ad-object-status
("<API_VERSION>/act_<AD_ACCOUNT_ID>/insights?level=ad does not return stats for the deleted
object ... You can query insights for DELETED objects using the ad.effective_status filter")
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ingest import remote
from tests.ingest.graph_setup import Answer, serving
from tests.ingest.test_graph_facts import row

TOKEN = "EAAB-deleted-ads-token-321"
ACCOUNT = "act_555"
TODAY = dt.date(2026, 11, 24)


@dataclass
class Account:
    """An insights endpoint that answers as Meta does for ads of each effective status."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)  # ad id → effective status
    filters: list[Any] = field(default_factory=list)  # the filtering each request sent
    base: str = ""

    def answer(self, path: str, query: dict[str, list[str]], auth: str) -> Answer:
        if auth != f"Bearer {TOKEN}":
            return 400, {"error": {"code": 190, "message": "Invalid OAuth access token"}}, {}
        filtering = json.loads(query["filtering"][0]) if "filtering" in query else []
        self.filters.append(filtering)
        asked = next((f["value"] for f in filtering if f.get("field") == "ad.effective_status"
                      and f.get("operator") == "IN"), None)  # fmt: skip
        # Without a filter naming them, deleted and archived ads are left out.
        hidden = {"DELETED", "ARCHIVED"}
        data = [r for r in self.rows
                if (s := self.status.get(r["ad_id"], "ACTIVE")) not in hidden
                or (asked is not None and s in asked)]  # fmt: skip
        return 200, {"data": data, "paging": {"cursors": {"after": "MA=="}}}, {}


@pytest.fixture
def account() -> Iterator[Account]:
    fake = Account()
    with serving(fake.answer) as fake.base:
        yield fake


def pull(account: Account, db_path: Path, **kw: Any) -> Any:
    return remote.pull_ads(ACCOUNT, TOKEN, db_path, base_url=account.base, today=TODAY,
                           sleep=lambda s: None, **kw)  # fmt: skip


@pytest.mark.parametrize("status", ["DELETED", "ARCHIVED"])
def test_an_ad_deleted_since_it_spent_keeps_its_spend(
    account: Account, db_path: Path, query: Any, status: str
) -> None:
    """The re-pull of the last 28 days, which removes what the answer no longer holds, removed
    the spend of an ad deleted (or archived) since: Meta left it out of the answer."""
    day = TODAY - dt.timedelta(days=2)
    account.rows = [row(day, "7", "4.00"), row(day, "8", "6.00")]
    pull(account, db_path, since=day)
    assert query.scalar("SELECT sum(spend) FROM ad_insights") == 10.0
    account.status["8"] = status  # the advertiser deletes the ad after it delivered
    pull(account, db_path)
    assert query("SELECT ad_id, spend FROM ad_insights ORDER BY ad_id") == [("7", 4.0), ("8", 6.0)]
    asked = [f["value"] for f in account.filters[-1] if f["field"] == "ad.effective_status"]
    assert asked and {"ACTIVE", "PAUSED", "DELETED", "ARCHIVED"} <= set(asked[0])
