"""The benchmarks run, on tiny inputs, and print the figures a closing note quotes.

Their speed is not judged here (bench/ measures it on full-size inputs): only that each script
still works against the code, which a change to the ingest's SQL or CLI could break unseen.
"""

from __future__ import annotations

import ast
import gzip
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tests.factories as f
from ingest import db as ingest_db
from ingest import lake, pipeline
from ingest.demo import write_links_csv
from ingest.errors import RefscopeError
from tests.conftest import Query

ROOT = Path(__file__).resolve().parent.parent
NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?"

CASES = {
    "ingest": (["--deliveries", "2000"],
               [r"^log: .*, bare bodies only \(no receiver envelopes\)$",
                rf"ratio full/floor\s+{NUMBER}", rf"ratio rerun/floor\s+{NUMBER}",
                rf"peak RSS of the full ingest {NUMBER} GiB"]),
    # A receiver's log is all envelopes: the floor reads their bodies' events, as many.
    "ingest --envelopes": (["--deliveries", "2000", "--envelopes", "1"],
                           [r"^log: .*, 2,0\d\d items, .*all receiver envelopes",
                            r"^floor .* rows 20\d\d \n", r"^full .* rows 20\d\d 20\d\d\n",
                            rf"ratio full/floor\s+{NUMBER}"]),
    "ingest_parts": (["--deliveries", "2000"],
                     [rf"^parse\s+{NUMBER} s", rf"^insert\s+{NUMBER} s",
                      rf"^attribute\s+{NUMBER} s",
                      rf"parse \+ insert \+ attribute {NUMBER} s: ratio to the floor {NUMBER}"]),
    "attribution": (["--events", "5000", "--people", "1000"],
                    [rf"ratio attribution/floor {NUMBER}"]),
    "attribution --ads": (["--ads", "--events", "5000", "--people", "1000"],
                          [r"one in 25 an ad's message", rf"new contacts {NUMBER}",
                           rf"ratio attribution/floor {NUMBER}"]),
    "receiver": (["--deliveries", "200", "--workers", "4"],
                 [r"0 acknowledged missing", rf"durable / no-fsync throughput: {NUMBER}"]),
    "demo_data": (["--days", "20", "--scale", "0.3"],
                  [rf"^demo\s+{NUMBER} s\s+{NUMBER} lines", rf"peak RSS\s+{NUMBER} MiB",
                   rf"ratio demo/floor {NUMBER}"]),
    "startup": (["--runs", "2", "--lines", "20"],
                [r"^log: 20 deliveries, 2\d items, .*all receiver envelopes; 2 runs",
                 rf"^floor\s+{NUMBER} s\s+ratio to the floor\s+1\.00\s+peak RSS\s+{NUMBER} MiB$",
                 *(rf"^{step}\s+{NUMBER} s\s+ratio to the floor\s+{NUMBER}\s+peak RSS\s+"
                   rf"{NUMBER} MiB$" for step in ("help", "ingest-help", "ingest"))]),
    "dashboard": (["--events", "20000", "--runs", "1"],
                  [rf"peak RSS of this process \(queries, pages\): {NUMBER} MiB",
                   r"every query p95 <= \d+ ms: (yes|NO)"]),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_bench_script_runs_and_prints_its_figures(case: str, tmp_path: Path) -> None:
    args, expected = CASES[case]
    script = case.split()[0]
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / f"{script}.py"), *args, "--keep", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    for pattern in expected:
        assert re.search(pattern, out.stdout, re.MULTILINE), (pattern, out.stdout[-2000:])


@pytest.mark.parametrize(
    "case", ["ingest", "ingest_parts", "attribution", "demo_data", "dashboard", "startup"]
)
def test_bench_script_without_keep_leaves_no_work_directory(case: str, tmp_path: Path) -> None:
    """Without --keep, a benchmark's logs and databases (a GB for 4M deliveries) were left in
    the temporary directory after every run; they go with its end now."""
    args, _ = CASES[case]
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / f"{case}.py"), *args],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert list(tmp_path.glob("refscope-bench-*")) == []


@pytest.mark.parametrize(
    ("name", "some"),
    [("dashboard", {"--lake", "--browser", "--keep"}), ("attribution", {"--keep", "--ads"}),
     ("receiver", {"--client-procs", "--rounds", "--seed", "--budget"}),
     ("ingest", {"--deliveries", "--envelopes", "--gz", "--keep"}), ("ingest_parts", {"--keep"}),
     ("demo_data", {"--days", "--scale", "--end", "--keep"}),
     ("startup", {"--runs", "--lines", "--keep"})],
)  # fmt: skip
def test_bench_docstring_names_every_option_its_help_lists(
    name: str, some: set[str], tmp_path: Path
) -> None:
    """A benchmark's docstring, which the README points to, did not list every option: not
    --lake (nor --seed) of bench/dashboard.py, --keep of attribution.py, four of receiver.py's;
    every option its --help lists is named there now."""
    script = ROOT / "bench" / f"{name}.py"
    out = subprocess.run(
        [sys.executable, str(script), "--help"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", out.stdout)) - {"--help"}
    assert some <= options, out.stdout
    docstring = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""
    assert not [o for o in sorted(options) if not re.search(rf"{o}(?![\w-])", docstring)]


@pytest.mark.parametrize(
    "case",
    ["ingest", "ingest_parts", "attribution", "demo_data", "dashboard", "receiver", "startup"],
)
def test_bench_script_keeps_a_relative_keep_directory_where_it_was_run(
    case: str, tmp_path: Path
) -> None:
    """`--keep work` named a folder of the current directory, but the benchmarks run their steps
    (or the receiver) in the project's root: attribution.py's database went to the checkout's
    `work/` (and, not found beside the caller, was built again into it at every run), and
    ingest_parts.py's, dashboard.py's and receiver.py's steps wrote there too. A relative --keep
    is taken from where the script was started now, by every step."""
    name = f"keep-{tmp_path.name}"  # unique: nothing of that name in the checkout either
    args, _ = CASES[case]
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / f"{case}.py"), *args, "--keep", name],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    in_checkout = (ROOT / name).exists()
    shutil.rmtree(ROOT / name, ignore_errors=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert not in_checkout
    assert any((tmp_path / name).iterdir())


def _demo_data(*args: str, cwd: Path) -> dict[str, int]:
    """bench/demo_data.py run on 20 days: the lines its demo and its floor each counted."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "demo_data.py"), *CASES["demo_data"][0], *args],
        capture_output=True, text=True, timeout=300, cwd=cwd,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    found = re.findall(rf"^(demo|floor)\s+{NUMBER} s\s+({NUMBER}) lines", out.stdout, re.M)
    return {name: int(lines.replace(",", "")) for name, lines in found}


def test_demo_data_runs_again_in_the_same_keep_directory(tmp_path: Path) -> None:
    """Run again with the same --keep, the floor stopped at the folder its first run wrote the
    lines again into ("benchmark step failed: File exists"); it writes them anew now."""
    first = _demo_data("--keep", str(tmp_path), cwd=tmp_path)
    again = _demo_data("--keep", str(tmp_path), cwd=tmp_path)
    assert first["demo"] > 0 and first == again == {"demo": first["demo"], "floor": first["demo"]}


def test_demo_data_floor_reads_back_only_the_logs_the_demo_wrote(tmp_path: Path) -> None:
    """The floor read every file of the folder whose name ended in .gz, .ndjson or .jsonl: a
    rotated log beside the demo's (`webhooks.ndjson.1.gz`) was counted as the demo's lines.
    It reads back the files the demo wrote, and nothing else of the folder: not `make demo`'s
    marker, demo-data's tracked-links.csv, nor a log of someone else's."""
    demo = tmp_path / "demo"
    demo.mkdir()
    write_links_csv(demo)  # as `refscope demo-data` leaves it beside the logs
    (demo / ".written").touch()  # as `make demo` does
    rotated = b"".join(b'{"object":"page","entry":[]}\n' for _ in range(7))
    (demo / "webhooks.ndjson.1.gz").write_bytes(gzip.compress(rotated))
    (demo / "team.jsonl").write_bytes(rotated)
    counted = _demo_data("--keep", str(tmp_path), cwd=tmp_path)
    assert counted["demo"] > 0 and counted["floor"] == counted["demo"]


def _dashboard_bench(keep: Path, *args: str) -> str:
    """bench/dashboard.py's output, run on CASES' small database (or as args change it) with
    --keep keep."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "dashboard.py"), *CASES["dashboard"][0], *args,
         "--keep", str(keep)],
        capture_output=True, text=True, timeout=300, cwd=keep,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_dashboard_keep_builds_again_a_database_whose_ingest_did_not_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--keep reused whatever refscope.duckdb its directory held: one whose build failed half-way
    (its ingest stopped by an error, or killed) was measured as if whole. It is built again now;
    one whose ingest finished is reused."""
    logs = tmp_path / "logs"
    f.write_ndjson(
        logs / "a.ndjson", [f.delivery(f.message("hi", psid=f"u{i}")) for i in range(40)]
    )
    whole = gzip.compress(f.line(f.delivery(f.message("hi"))).encode() + b"\n")
    (logs / "b.ndjson.gz").write_bytes(whole[:-8] + b"\x00\x00" + whole[-6:])  # a bad CRC
    half = tmp_path / "refscope.duckdb"
    with monkeypatch.context() as m:
        m.setenv("REFSCOPE_INGEST_BATCH", "1KB")  # a.ndjson's batches commit before b's error
        with pytest.raises(RefscopeError, match="CRC check failed"):
            pipeline.run([str(logs)], half)
    assert Query(half)("SELECT count(*) > 0 FROM events") == [(True,)]
    assert Query(half)("SELECT finished_at FROM ingest_runs") == [(None,)]

    built = _dashboard_bench(tmp_path)

    assert f"not reusing {half}: its ingest did not finish; building it again" in built, built
    assert re.search(rf"^ingest: +{NUMBER} events parsed", built, re.MULTILINE), built
    assert Query(half)("SELECT count(*) FROM ingest_runs WHERE finished_at IS NULL") == [(0,)]
    again = _dashboard_bench(tmp_path)
    assert re.search(rf"^reusing {re.escape(str(half))} ", again, re.MULTILINE), again
    assert not re.search(r"^ingest: ", again, re.MULTILINE), again


def test_dashboard_keep_builds_again_a_database_built_with_other_options(tmp_path: Path) -> None:
    """--keep reused a finished database whatever --events and --seed it had been built with:
    a run asking for 30,000 events measured the 20,000 of the run before. What a build was given
    is recorded beside its database now; a run asking for other options builds it again, saying
    which differ, and one asking for the same reuses it."""
    db = tmp_path / "refscope.duckdb"
    first = _dashboard_bench(tmp_path)
    assert re.search(rf"^ingest: +{NUMBER} events parsed", first, re.MULTILINE), first
    (built,) = Query(db)("SELECT count(*) FROM events")[0]

    more = _dashboard_bench(tmp_path, "--events", "30000")
    assert f"not reusing {db}: built with --events 20000, not 30000; building it again" in more
    assert re.search(rf"^ingest: +{NUMBER} events parsed", more, re.MULTILINE), more
    (rebuilt,) = Query(db)("SELECT count(*) FROM events")[0]
    assert rebuilt > built * 1.3, (built, rebuilt)

    seed = _dashboard_bench(tmp_path, "--events", "30000", "--seed", "8")
    assert f"not reusing {db}: built with --seed 7, not 8; building it again" in seed, seed
    same = _dashboard_bench(tmp_path, "--events", "30000", "--seed", "8")
    assert re.search(rf"^reusing {re.escape(str(db))} ", same, re.MULTILINE), same
    assert not re.search(r"^ingest: ", same, re.MULTILINE), same


def _attribution_bench(keep: Path, *args: str) -> str:
    """bench/attribution.py's output, run on CASES' small database (or as args change it) with
    --keep keep."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "attribution.py"), *CASES["attribution"][0],
         *args, "--keep", str(keep)],
        capture_output=True, text=True, timeout=300, cwd=keep,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.mark.parametrize("left", [0, 1200])
def test_attribution_keep_builds_again_a_database_its_build_did_not_finish(
    left: int, tmp_path: Path
) -> None:
    """--keep reused any attribution.duckdb of its directory: the schema with no events that a
    build killed during its one INSERT leaves (the floor and attribution timed on it: 0
    events/s), or other events than the run asked for, said to be its --events. Only a
    database whose build finished, with the same --events and --people, is reused now; any
    other is built again, saying why."""
    db = tmp_path / "attribution.duckdb"
    con = ingest_db.connect(db)  # as far as a build killed in its INSERT got (left: 0)
    con.execute(
        "INSERT INTO events BY NAME SELECT i AS event_key, '1' AS page_id, 'u' || i AS psid, "
        "false AS is_user_ref, TIMESTAMP '2025-01-01' AS ts, 'message' AS kind, "
        "false AS is_standby, 'bench.ndjson' AS file, i AS line_no, 1 AS run_id "
        "FROM range($n) t(i)",
        {"n": left},
    )
    con.close()

    built = _attribution_bench(tmp_path)
    assert f"not reusing {db}: no record of a finished build beside it; building it again" in (
        built
    ), built
    assert Query(db)("SELECT count(*) FROM events") == [(5000,)]
    assert re.search(rf"ratio attribution/floor {NUMBER}", built), built

    again = _attribution_bench(tmp_path)
    assert re.search(rf"^reusing {re.escape(str(db))} ", again, re.MULTILINE), again
    assert Query(db)("SELECT count(*) FROM events") == [(5000,)]

    more = _attribution_bench(tmp_path, "--events", "6000", "--people", "900")
    said = f"not reusing {db}: built with --events 5000, not 6000, --people 1000, not 900;"
    assert said in more, more
    assert Query(db)("SELECT count(*), count(DISTINCT psid) <= 900 FROM events") == [(6000, True)]


def test_dashboard_keep_with_lake_syncs_a_new_lake_for_a_database_built_again(
    tmp_path: Path,
) -> None:
    """With --keep and --lake, a database built again (other options, or its build unfinished)
    met the lake the old one had written in DIR/lake: the sync refused it as another database's
    lake and the run ended in a traceback. The lake goes with the database it was synced from
    now: the new one's is written anew and holds its events."""
    _dashboard_bench(tmp_path, "--lake")
    again = _dashboard_bench(tmp_path, "--lake", "--seed", "8")
    assert "built with --seed 7, not 8; building it again" in again, again
    assert re.search(rf"^lake sync: {NUMBER} partitions", again, re.MULTILINE), again
    con = ingest_db.connect_memory()
    lake.attach_views(con, tmp_path / "lake")
    in_lake = con.execute("SELECT count(*), sum(hash(event_key)) FROM events").fetchall()
    con.close()
    assert in_lake == Query(tmp_path / "refscope.duckdb")(
        "SELECT count(*), sum(hash(event_key)) FROM events"
    )


@pytest.mark.parametrize(
    ("kill_at", "said"),
    [("0", "killed before any delivery was acknowledged"),
     ("1", "every delivery was acknowledged before the kill")],
)  # fmt: skip
def test_receiver_bench_fails_a_sigkill_run_that_was_not_mid_load(
    kill_at: str, said: str, tmp_path: Path
) -> None:
    """A SIGKILL sent before any 200 (the load's time spent by the first runs on a busy machine,
    or --kill-at 0), or after the last one, checked nothing: `0 acknowledged missing`, exit 0.
    The run fails now, saying why."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "receiver.py"), "--deliveries", "40",
         "--workers", "2", "--rounds", "1", "--kill-at", kill_at, "--keep", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 1, (out.stdout[-2000:], out.stderr[-2000:])
    assert re.search(rf"^FAIL sigkill: {said}", out.stdout, re.MULTILINE), out.stdout[-2000:]


def test_receiver_bench_fails_a_run_that_acknowledged_nothing(tmp_path: Path) -> None:
    """Past its --budget before the load began, a run posted nothing: the bench stopped on a
    ZeroDivisionError. Each run that acknowledged nothing is a failure it names now."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "receiver.py"), "--deliveries", "40",
         "--workers", "2", "--rounds", "1", "--budget", "0", "--keep", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 1, (out.stdout[-2000:], out.stderr[-2000:])
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    for run in ("durable", "no-fsync"):
        assert f"FAIL {run}: no delivery was acknowledged" in out.stdout, out.stdout[-2000:]
    assert "FAIL sigkill: killed before any delivery was acknowledged" in out.stdout
