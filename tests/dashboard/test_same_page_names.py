"""Pages that share a display name (two branches both called "Acme Bakery"): each can still be
picked, and tables tell them apart.

Streamlit hands a picked option back by its label, so two options shown alike are one option.
"""

from __future__ import annotations

from pathlib import Path

from dashboard import queries, reports
from dashboard.cli import cli
from dashboard.filters import Filters
from ingest import db, pipeline
from tests import factories as fx
from tests.dashboard.conftest import opened
from tests.dashboard.screen import metric, show

NORTH, SOUTH = "100000000000001", "100000000000002"


def _two_pages_of_one_name(path: Path) -> Path:
    """Two pages named alike in `pages`: NORTH with 2 contacts, SOUTH with 5."""
    lines = []
    for page_id, n in ((NORTH, 2), (SOUTH, 5)):
        for i in range(n):
            psid, ts = f"{page_id[-1]}{i:04d}", fx.T0 + i * fx.HOUR
            pb = fx.postback(referral=fx.referral_obj("flyer"), psid=psid, page_id=page_id, ts=ts)
            lines.append(fx.delivery(pb, page_id=page_id))
    pipeline.run([str(fx.write_ndjson(path.parent / "logs" / "a.ndjson", lines))], path)
    con = db.connect(path)
    try:
        con.execute("INSERT INTO pages VALUES (?, 'acme.north', 'Acme Bakery'), "
                    "(?, 'acme.south', 'Acme Bakery')", [NORTH, SOUTH])  # fmt: skip
    finally:
        con.close()
    return path


def test_page_list_labels_tell_apart_pages_of_one_name(tmp_path):
    path = _two_pages_of_one_name(tmp_path / "two.duckdb")
    with opened(path) as con:
        labels = queries.page_list(con)["label"]
    assert labels.is_unique
    assert all("Acme Bakery" in label for label in labels)


def test_the_second_of_two_pages_of_one_name_can_be_picked(open_app, tmp_path):
    at = show(open_app(_two_pages_of_one_name(tmp_path / "two.duckdb")), "overview")
    at.sidebar.multiselect[0].select(SOUTH).run()
    assert at.sidebar.multiselect[0].value == [SOUTH]
    assert at.query_params["page"] in (SOUTH, [SOUTH])
    assert metric(at, "New contacts").value == "5"


def test_a_report_names_a_page_of_a_shared_name_with_its_id_once(tmp_path):
    path = _two_pages_of_one_name(tmp_path / "two.duckdb")
    with opened(path) as con:
        f = Filters(fx.utc(fx.T0).date(), fx.utc(fx.T0).date(), (SOUTH,))
        report = reports.gather(reports.connection_fetch(con), f)
    assert report.pages == f"Acme Bakery ({SOUTH})"


def test_report_names_the_pages_there_are_with_each_id_once(runner, tmp_path):
    path = _two_pages_of_one_name(tmp_path / "two.duckdb")
    result = runner.invoke(cli, ["report", "--db", str(path), "--page", "999"])
    assert result.exit_code != 0
    pages = result.stderr.split("(pages: ")[1]
    assert f"{SOUTH} (Acme Bakery)" in pages and f"({SOUTH})" not in pages.replace(
        f"{SOUTH} (Acme Bakery)", ""
    )
