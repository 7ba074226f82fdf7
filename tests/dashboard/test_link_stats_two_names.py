"""A ref registered for a page by its numeric id and by its username before `pages set` made the
two one page (which it allows: the two links mean the same): the Create links page's table lists
one link per ref and page, as registered first (the URL `links create` keeps), its contacts
counted once. It listed two rows, each with all the link's contacts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner

from dashboard import queries
from dashboard.filters import Filters
from ingest import pipeline
from ingest.cli import cli
from tests import factories as fx
from tests.dashboard.conftest import opened


def test_a_ref_of_a_page_by_id_and_by_username_is_one_row(tmp_path: Path) -> None:
    path = tmp_path / "refscope.duckdb"
    lines = [fx.delivery(fx.postback(referral=fx.referral_obj("spring"), psid=f"s{i}",
                                     ts=fx.T0 + i * fx.MINUTE)) for i in range(3)]  # fmt: skip
    pipeline.run([str(fx.write_ndjson(tmp_path / "logs" / "w.ndjson", lines))], path)
    runner = CliRunner()
    for args in (["links", "create", "--page", fx.PAGE_ID, "--ref", "spring"],
                 ["links", "create", "--page", "acmebakery", "--ref", "spring"],
                 ["pages", "set", fx.PAGE_ID, "--username", "acmebakery"]):  # fmt: skip
        res = runner.invoke(cli, [*args, "--db", str(path)])
        assert res.exit_code == 0, res.output
    day = fx.utc(fx.T0).date()
    with opened(path) as con:
        (registered,) = con.execute("SELECT count(*) FROM tracked_links").fetchone()
        stats = queries.tracked_link_stats(con)
        in_range = queries.tracked_link_stats(con, Filters(day, day + dt.timedelta(days=1)))
        refs = queries.refs(con, Filters(day, day + dt.timedelta(days=1)))
    assert registered == 2  # both kept: the registry as each command wrote it
    assert refs[["page_id", "ref", "new_contacts"]].values.tolist() == [[fx.PAGE_ID, "spring", 3]]
    url = f"https://m.me/{fx.PAGE_ID}?ref=spring"
    for df in (stats, in_range):
        assert df[["ref", "page", "page_name", "url", "new_contacts"]].values.tolist() == [
            ["spring", fx.PAGE_ID, "acmebakery", url, 3]
        ]
