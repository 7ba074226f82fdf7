"""The parts of one day and ad's insights (one row per platform) read in two batches: an
answer's pages saved to two files, read in two runs or in one. They add up to the day; the
same parts read again, or a later answer of the day (Meta restated it), take their place.
https://developers.facebook.com/docs/marketing-api/insights/breakdowns"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ingest import pipeline
from tests import factories as f
from tests.conftest import IngestLines, Query
from tests.ingest.graph_setup import TODAY, FakeGraph, insight, pull
from tests.ingest.insight_setup import page, row

SPENT = "SELECT spend, impressions FROM ad_insights"


def part(platform: str, spend: str, impressions: str) -> object:
    return row(account_id="1234", spend=spend, impressions=impressions,
               publisher_platform=platform)  # fmt: skip


def test_parts_split_across_two_runs_add_up(ingest_lines: IngestLines, query: Query) -> None:
    first = ingest_lines([page(part("facebook", "10", "500"), part("instagram", "5.5", "300"))],
                         "page1.ndjson")  # fmt: skip
    assert query(SPENT) == [(15.5, 800)]
    second = ingest_lines([page(part("messenger", "1.25", "50"))], "page2.ndjson")
    assert query(SPENT) == [(16.75, 850)]
    assert (first.insights_added, second.insights_added, second.insights_not_newer) == (1, 1, 0)


def test_the_same_parts_read_again_do_not_double(
    log_dir: Path, db_path: Path, query: Query
) -> None:
    one = f.write_ndjson(log_dir / "page1.ndjson", [page(part("facebook", "10", "500"))])
    two = f.write_ndjson(log_dir / "page2.ndjson", [page(part("messenger", "1.25", "50"))])
    pipeline.run([str(one)], db_path)
    pipeline.run([str(two)], db_path)
    assert query(SPENT) == [(11.25, 550)]
    for x in (one, two):  # both saved pages again, under other names (copied, renamed)
        shutil.copy(x, log_dir / f"copy-{x.name}")
    pipeline.run([str(log_dir / "copy-page1.ndjson"), str(log_dir / "copy-page2.ndjson")],
                 db_path)  # fmt: skip
    assert query(SPENT) == [(11.25, 550)]


def test_parts_split_across_two_files_of_one_run_add_up(
    log_dir: Path, db_path: Path, query: Query
) -> None:
    a = f.write_ndjson(log_dir / "a.ndjson", [page(part("facebook", "10", "500"))])
    b = f.write_ndjson(log_dir / "b.ndjson", [page(part("instagram", "5.5", "300"))])
    os.utime(b, (a.stat().st_mtime + 1, a.stat().st_mtime + 1))
    pipeline.run([str(b), str(a)], db_path)
    assert query(SPENT) == [(15.5, 800)]
    # Read again under other names in a later run: nothing doubles.
    for x in (a, b):
        shutil.copy2(x, log_dir / f"again-{x.name}")
    pipeline.run([str(log_dir / "again-a.ndjson"), str(log_dir / "again-b.ndjson")], db_path)
    assert query(SPENT) == [(15.5, 800)]


def test_a_restated_day_replaces_its_parts(ingest_lines: IngestLines, query: Query) -> None:
    ingest_lines([page(part("facebook", "10", "500"))], "page1.ndjson")
    ingest_lines([page(part("instagram", "5.5", "300"))], "page2.ndjson")
    # A later pull of the day, both pages again with revised figures: in place of the first.
    ingest_lines([page(part("facebook", "11", "520"))], "repull1.ndjson")
    assert query(SPENT) == [(11.0, 520)]
    ingest_lines([page(part("instagram", "6", "310"))], "repull2.ndjson")
    assert query(SPENT) == [(17.0, 830)]


def test_a_pulls_parts_on_two_pages_add_up_and_a_repull_replaces_them(
    graph: FakeGraph, db_path: Path, query: Query
) -> None:
    day = str(TODAY)

    def parts(*spends: str) -> list[dict[str, object]]:
        platforms = ("facebook", "instagram", "messenger")
        return [dict(insight(day, "601", s), publisher_platform=p)
                for p, s in zip(platforms, spends, strict=True)]  # fmt: skip

    # A page holds 3 rows: the day's third part is on the second page.
    graph.rows = [insight(day, "602", "1.00"), *parts("10.00", "5.50", "1.25")]
    pull(graph, db_path, since=TODAY)
    assert query("SELECT ad_id, spend FROM ad_insights ORDER BY ad_id") == [
        ("601", 16.75), ("602", 1.0)
    ]  # fmt: skip
    graph.rows = [insight(day, "602", "1.00"), *parts("11.00", "6.00", "1.25")]
    pull(graph, db_path, since=TODAY)  # revised: in place of the first, not beside it
    assert query("SELECT ad_id, spend FROM ad_insights ORDER BY ad_id") == [
        ("601", 18.25), ("602", 1.0)
    ]  # fmt: skip
