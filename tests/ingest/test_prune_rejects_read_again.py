"""A log read again after a prune (renamed, copied, pulled anew): its events dated before the
prune's date are left out, and so must be its rejected lines dated before it, which hold the
same people's ids and words (README, Privacy: "pruned history stays pruned even when a log is
read again under another name")."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import tests.factories as f
from ingest import history, load, pipeline
from ingest.cli import cli
from tests.conftest import Query
from tests.factories import T0
from tests.ingest.rebuild_setup import prune, runs_long_ago

PSID = "3141592653589793"
# Cut off inside its text: rejected, dated by its entry's time and its item's timestamp.
CUT = (
    '{"object":"page","entry":[{"id":"' + f.PAGE_ID + f'","time":{T0 + 1000},"messaging":[{{'
    f'"sender":{{"id":"{PSID}"}},"recipient":{{"id":"{f.PAGE_ID}"}},"timestamp":{T0 + 1000},'
    '"message":{"mid":"m_cut","text":"my address is Main Street'
)


def test_rejected_lines_dated_before_a_prune_stay_out_when_the_log_is_read_again(
    tmp_path: Path,
) -> None:
    log = tmp_path / "webhooks-2023-11.ndjson"
    recent = int(dt.datetime.now(dt.UTC).timestamp() * 1000) - 86_400_000
    later = CUT.replace(str(T0 + 1000), str(recent)).replace("m_cut", "m_late")
    log.write_text("\n".join([
        f.line(f.delivery(f.message("hi", psid=PSID, ts=T0))),
        CUT,
        later,  # dated after the prune's date: stays
        "not json",  # no instant in it: nothing says it is pruned history, so it stays
    ]) + "\n")  # fmt: skip
    db_file = tmp_path / "r.duckdb"
    pipeline.run([str(log)], db_file)
    runs_long_ago(db_file)
    prune(db_file, dt.date.today() - dt.timedelta(days=30))
    assert Query(db_file)("SELECT count(*) FROM rejects") == [(0,)]

    again = tmp_path / "copy" / log.name
    again.parent.mkdir()
    shutil.copy(log, again)
    res = pipeline.run([str(again)], db_file)

    rows = Query(db_file)("SELECT line_no, raw FROM rejects ORDER BY line_no")
    assert [n for n, _ in rows] == [3, 4]
    assert not any(PSID in raw and "m_cut" in raw for _, raw in rows)
    assert Query(db_file)("SELECT count(*) FROM events") == [(0,)]
    assert res.rejects_added == 2


def _read_then_pruned(tmp_path: Path) -> tuple[Path, Path]:
    """A log of a message, a line cut off (rejected) and a line that is no JSON, read long ago
    and pruned since: the log and the database."""
    log = tmp_path / "webhooks-2023-11.ndjson"
    log.write_text("\n".join([f.line(f.delivery(f.message("hi", psid=PSID, ts=T0))), CUT,
                              "not json"]) + "\n")  # fmt: skip
    db_file = tmp_path / "r.duckdb"
    pipeline.run([str(log)], db_file)
    runs_long_ago(db_file)
    prune(db_file, dt.date.today() - dt.timedelta(days=30))
    return log, db_file


def test_the_rejected_lines_left_out_for_a_prune_are_counted_in_the_run_and_its_summary(
    runner: CliRunner, tmp_path: Path
) -> None:
    # Every line is accounted for: the one left out as pruned history is counted, as the
    # events a prune leaves out are, in the run's result, its ingest_runs row and its summary.
    log, db_file = _read_then_pruned(tmp_path)
    again = tmp_path / "copy" / log.name
    again.parent.mkdir()
    shutil.copy(log, again)

    out = runner.invoke(cli, ["ingest", str(again), "--db", str(db_file)])

    assert out.exit_code == 0, out.output
    assert "1 reject (1 rejected line left out: pruned)" in out.output
    assert "1 event (0 new, 0 duplicates, 1 left out: forgotten or pruned)" in out.output
    assert Query(db_file)(
        "SELECT lines_read, rejects_added, rejects_left_out, events_left_out FROM ingest_runs"
        " ORDER BY run_id DESC LIMIT 1"
    ) == [(3, 1, 1, 1)]


def test_every_batch_of_a_run_leaves_out_the_rejected_lines_dated_before_the_prune(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The prune's date is read once for the run (a prune takes the write lock the run holds, so
    # it cannot change meanwhile), and each of its batches leaves out by it.
    log, db_file = _read_then_pruned(tmp_path)
    copies = [tmp_path / f"copy{i}" / log.name for i in range(3)]
    for copy in copies:
        copy.parent.mkdir()
        shutil.copy(log, copy)
    monkeypatch.setenv("REFSCOPE_INGEST_BATCH", str(log.stat().st_size))  # a copy a batch
    cuts: list[dt.datetime | None] = []
    batches: list[int] = []
    read, loads = history.prune_cut, load.load_batch
    monkeypatch.setattr(history, "prune_cut", lambda con: cuts.append(read(con)) or cuts[-1])
    monkeypatch.setattr(load, "load_batch", lambda *a, **k: batches.append(1) or loads(*a, **k))

    res = pipeline.run([str(c) for c in copies], db_file)

    assert len(batches) == 3
    assert cuts == [dt.datetime.combine(dt.date.today() - dt.timedelta(days=30), dt.time())]
    assert (res.rejects_added, res.rejects_left_out) == (3, 3)
    assert Query(db_file)("SELECT count(*) FROM rejects WHERE raw LIKE '%m_cut%'") == [(0,)]


def test_prune_takes_rejected_lines_dated_before_it_that_a_recent_run_read(
    tmp_path: Path, runner: CliRunner
) -> None:
    """Old logs read last week (a first import of years of history), then `prune --older-than`:
    the events they dated before the prune's date went, and their rejected lines, which hold the
    same people's ids and words, stayed, because the run that read them started after that date;
    the next ingest of the same lines would have left them out as pruned history."""
    log = tmp_path / "webhooks-2023-11.ndjson"
    recent = int(dt.datetime.now(dt.UTC).timestamp() * 1000) - 86_400_000
    later = CUT.replace(str(T0 + 1000), str(recent)).replace("m_cut", "m_late")
    log.write_text("\n".join([
        f.line(f.delivery(f.message("hi", psid=PSID, ts=T0))),
        CUT,  # dated 2023: pruned history
        later,  # dated yesterday: stays
        "not json",  # no instant in it: nothing says it is pruned history, so it stays
    ]) + "\n")  # fmt: skip
    db_file = tmp_path / "r.duckdb"
    pipeline.run([str(log)], db_file)  # the run started now, after the prune's date
    out = runner.invoke(cli, ["prune", "--older-than", "30d", "--db", str(db_file)])
    assert out.exit_code == 0, out.output
    assert "1 rejected line" in out.output, out.output
    rows = Query(db_file)("SELECT line_no, raw FROM rejects ORDER BY line_no")
    assert [n for n, _ in rows] == [3, 4]
    assert not any("m_cut" in raw for _, raw in rows)
    assert Query(db_file)("SELECT count(*) FROM events") == [(0,)]
