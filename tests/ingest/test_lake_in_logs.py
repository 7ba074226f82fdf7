"""A lake kept inside the folder of logs it is written from: its files are no logs."""

from __future__ import annotations

from pathlib import Path

from ingest import discovery, lake, pipeline
from tests import factories as f
from tests.conftest import Query


def test_a_lake_inside_the_logs_folder_is_not_read_as_logs(
    db_path: Path, tmp_path: Path, query: Query
) -> None:
    """Its `_manifest.json` has a log's name: read at every run, it was a reject, and the run
    (a file read) synced the lake again, a new manifest to read at the next."""
    logs = tmp_path / "logs"
    log = f.write_ndjson(logs / "a.ndjson", [f.delivery(f.message(psid="7001", ts=f.T0))])
    lake_dir = logs / "lake"
    first = pipeline.run([str(logs)], db_path, lake_dir=lake_dir)
    assert first.files_read == 1 and first.lake is not None and first.lake.written > 0
    manifest = (lake_dir / lake.MANIFEST).stat().st_mtime_ns
    for _ in range(2):
        again = pipeline.run([str(logs)], db_path, lake_dir=lake_dir)
        assert (again.files, again.files_read, again.rejects_added) == (1, 0, 0)
        assert again.lake is None or (again.lake.written, again.lake.removed) == (0, 0)
    assert query.scalar("SELECT count(*) FROM rejects") == 0
    assert (lake_dir / lake.MANIFEST).stat().st_mtime_ns == manifest  # no sync since
    assert discovery.discover([str(logs)]) == [log.resolve()]


def test_a_lake_manifest_matched_by_a_glob_or_named_is_left_out_with_a_warning(
    db_path: Path, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    log = f.write_ndjson(logs / "a.json", [f.delivery(f.message(psid="7001", ts=f.T0))])
    pipeline.run([str(logs)], db_path, lake_dir=logs / "lake")
    manifest = logs / "lake" / lake.MANIFEST
    for spec in (f"{logs}/**/*.json", str(manifest)):
        warnings: list[str] = []
        found = discovery.discover([spec, str(log)], warnings)
        assert found == [log.resolve()], spec
        assert any("lake" in w and lake.MANIFEST in w for w in warnings), warnings


def test_a_json_file_named_like_the_manifest_outside_a_lake_is_still_read(tmp_path: Path) -> None:
    """Only a lake's own manifest (beside its small tables' files) is left out."""
    log = f.write_ndjson(tmp_path / "logs" / lake.MANIFEST, [f.delivery(f.message(psid="7001"))])
    assert discovery.discover([str(tmp_path / "logs")]) == [log.resolve()]


def test_a_recursive_glob_over_the_logs_reads_none_of_the_lakes_files(
    db_path: Path, tmp_path: Path, query: Query
) -> None:
    """`ingest 'logs/**' --lake logs/lake`: the glob matches every file below logs, the lake's
    Parquet files too. Read as logs, they were hundreds of rejects, and the small tables, written
    anew by each sync, were read (and rejected) again at every run."""
    logs = tmp_path / "logs"
    log = f.write_ndjson(logs / "a.ndjson", [f.delivery(f.message(psid="7001", ts=f.T0))])
    lake_dir = logs / "lake"
    first = pipeline.run([str(logs)], db_path, lake_dir=lake_dir)
    assert first.lake is not None and first.lake.written > 0
    spec = f"{logs}/**"
    for _ in range(2):
        again = pipeline.run([spec], db_path, lake_dir=lake_dir)
        assert (again.files, again.files_read, again.rejects_added) == (1, 0, 0)
        assert any(str(lake_dir) in w and "lake" in w for w in again.warnings), again.warnings
    assert query.scalar("SELECT count(*) FROM rejects") == 0
    for glob_spec in (spec, f"{lake_dir}/**/*.parquet", f"{lake_dir}/events/*/*/*"):
        assert discovery.discover([glob_spec, str(log)]) == [log.resolve()], glob_spec


def test_a_lake_written_into_the_logs_folder_itself_hides_none_of_its_logs(
    db_path: Path, tmp_path: Path, query: Query
) -> None:
    """`ingest logs --lake logs`: once the lake's manifest stood beside the logs, the folder was
    taken for a lake and not walked: every later run said "nothing new to read in 0 files", and
    the logs the receiver went on writing there were never read."""
    logs = tmp_path / "logs"
    f.write_ndjson(logs / "a.ndjson", [f.delivery(f.message(psid="7001", ts=f.T0))])
    first = pipeline.run([str(logs)], db_path, lake_dir=logs)
    assert first.files_read == 1 and (logs / lake.MANIFEST).is_file()
    later = f.write_ndjson(
        logs / "sub" / "b.ndjson", [f.delivery(f.message(psid="7002", ts=f.T0 + 1000))]
    )
    f.write_ndjson(logs / "a.ndjson", [f.delivery(f.message(psid="7003", ts=f.T0 + 2000))],
                   mode="a")  # fmt: skip
    second = pipeline.run([str(logs)], db_path, lake_dir=logs)
    assert (second.files, second.files_read, second.rejects_added) == (2, 2, 0)
    assert query.scalar("SELECT count(DISTINCT psid) FROM events") == 3
    again = pipeline.run([str(logs)], db_path, lake_dir=logs)
    assert (again.files, again.files_read, again.rejects_added) == (2, 0, 0)
    warnings: list[str] = []
    assert discovery.discover([str(logs)], warnings) == sorted(
        [(logs / "a.ndjson").resolve(), later.resolve()], key=str
    )
    assert warnings == []


def test_a_folder_holding_only_a_lake_says_so_rather_than_reading_nothing_silently(
    runner, db_path: Path, tmp_path: Path
) -> None:
    """`refscope ingest data/lake` (the lake named for the logs) printed "nothing new to read in
    0 files" alone, as if its logs were all read before; a glob over it (`'data/lake/*'`) said
    it was a lake. A folder none of whose logs is read says so too, naming the lake (and a glob
    matching such folders only said "no files match")."""
    from ingest.cli import cli

    logs = tmp_path / "logs"
    log = f.write_ndjson(logs / "a.ndjson", [f.delivery(f.message(psid="7001", ts=f.T0))])
    lake_dir = tmp_path / "data" / "lake"
    pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    for spec in (lake_dir, lake_dir.parent, f"{lake_dir.parent}/*"):
        res = runner.invoke(cli, ["ingest", str(spec), "--db", str(db_path)])
        assert res.exit_code == 0, res.output
        words = " ".join(res.output.split())
        assert f"warning: {lake_dir}: a Parquet lake, not logs: its files are left out" in words
        assert "nothing new to read in 0 files" in words
    res = runner.invoke(cli, ["ingest", str(tmp_path), "--db", str(db_path)])  # logs beside it
    assert res.exit_code == 0 and "warning" not in res.output, res.output


def test_a_folder_inside_a_lake_names_the_lake_and_what_to_do_not_its_parquet_files(
    runner, db_path: Path, tmp_path: Path
) -> None:
    """`refscope ingest data/lake/events` (or a partition of it) said "no file is read by its
    name (1 left out: data_0.parquet) … give such a file as a PATH to read it": given, that file
    is left out as the lake's. It is the lake's folder: said so, with what reads a lake."""
    from ingest.cli import cli

    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson",
                         [f.delivery(f.message(psid="7001", ts=f.T0))])  # fmt: skip
    lake_dir = tmp_path / "data" / "lake"
    pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    (partition,) = (lake_dir / "events").glob("page_id=*")
    days = list(partition.glob("date=*"))
    for spec in (lake_dir, lake_dir / "events", partition, *days, f"{lake_dir}/events/*"):
        res = runner.invoke(cli, ["ingest", str(spec), "--db", str(db_path)])
        assert res.exit_code == 0, res.output
        words = " ".join(res.output.split())
        assert f"warning: {lake_dir}: a Parquet lake, not logs: its files are left out" in words
        assert f"`refscope dashboard --lake {lake_dir}` reads it" in words, words
        assert "give such a file as a PATH" not in words and ".parquet" not in words, words
        assert "nothing new to read in 0 files" in words


def test_a_lake_named_through_several_of_its_folders_is_warned_of_once(
    db_path: Path, tmp_path: Path
) -> None:
    log = f.write_ndjson(tmp_path / "logs" / "a.ndjson",
                         [f.delivery(f.message(psid="7001", ts=f.T0))])  # fmt: skip
    lake_dir = tmp_path / "lake"
    pipeline.run([str(log)], db_path, lake_dir=lake_dir)
    specs = [str(lake_dir), f"{lake_dir}/", str(lake_dir / "events"), str(lake_dir / "contacts"),
             f"{lake_dir}/*", str(lake_dir / lake.MANIFEST)]  # fmt: skip
    result = pipeline.run(specs, db_path)
    assert result.files == 0
    lake_lines = [w for w in result.warnings if "Parquet lake" in w]
    assert len(lake_lines) == 1, result.warnings
    assert lake_lines[0].startswith(f"{lake_dir}: a Parquet lake, not logs"), lake_lines
