"""The README stays true: every CLI command is documented, every channel is in the contract."""

import re
from pathlib import Path

import pytest

from dashboard.cli import cli
from ingest.attribute import CHANNELS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_cli_command_is_in_the_readme() -> None:
    missing = [name for name in cli.commands if f"refscope {name}" not in README]
    assert not missing, f"commands not documented in README.md: {missing}"


def test_every_option_of_refscope_itself_is_in_the_readme() -> None:
    """`refscope --help` lists `--version`: a team upgrading (see "Upgrading refscope") looks
    up which version runs, and the README did not say how."""
    from click.testing import CliRunner

    names = [o for p in cli.params for o in p.opts]
    assert "--version" in names
    assert not [n for n in names if f"`refscope {n}`" not in README], names
    res = CliRunner().invoke(cli, ["--version"], prog_name="refscope")
    assert res.exit_code == 0 and res.output.startswith("refscope, version ")


def test_readme_channel_table_matches_the_vocabulary() -> None:
    table = README.split("| channel | touch |", 1)[1].split("\n\n")[0]
    documented = re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.M)
    assert documented == list(CHANNELS)


def test_readme_opens_with_the_two_commands() -> None:
    head = README.split("## Commands", 1)[0]
    assert "make demo" in head and "make test" in head


def test_readme_gives_report_days_as_the_alternative_to_from() -> None:
    """`--days` sets the first day, as `--from` does (the two are refused together); `--to`
    goes with either."""
    from click.testing import CliRunner

    synopses = re.findall(r"`refscope report \[[^`]*`", README)
    assert synopses
    for synopsis in synopses:
        assert "[--from DATE \\| --days 28] [--to DATE]" in synopsis, synopsis
    res = CliRunner().invoke(
        cli, ["report", "--from", "2026-01-01", "--days", "7", "--format", "html"]
    )
    assert res.exit_code == 2 and "--from and --days both set the first day" in res.output


def test_readme_and_help_say_an_out_without_a_report_suffix_needs_format(tmp_path: Path) -> None:
    """PDF is the format only without `--out`: `--out weekly.txt` is refused, not written as a
    PDF (README and `--help` said "else pdf" after the suffix)."""
    from click.testing import CliRunner

    res = CliRunner().invoke(cli, ["report", "--db", str(tmp_path / "x.duckdb"),
                                   "--out", str(tmp_path / "weekly.txt")])  # fmt: skip
    assert res.exit_code == 2 and "cannot tell the format" in res.output
    assert not (tmp_path / "weekly.txt").exists()
    help_text = " ".join(CliRunner().invoke(cli, ["report", "--help"]).output.split())
    assert "without --out, pdf" in help_text
    text = " ".join(README.split())
    assert "else pdf when there is no `--out`" in text
    assert "else PDF when there is no `--out`; an `--out` with another suffix or none" in text


def test_readme_says_what_a_csv_download_does_to_a_formula_like_text() -> None:
    """A ref may start with `=` or `-`: the CSV writes it with a leading apostrophe (CSV
    injection), which a reader of the README must know to read the file back."""
    import datetime as dt
    import io

    import pandas as pd

    from dashboard import reports
    from dashboard.filters import Filters

    f = Filters(dt.date(2026, 10, 28), dt.date(2026, 11, 24), (), ())
    data = reports.table_csv(pd.DataFrame({"ref": ["=promo", "ok"]}), "refs", f)
    assert data.decode("utf-8-sig").splitlines()[0] == (
        "# refscope refs, 2026-10-28 – 2026-11-24, pages: all, channels: all, UTC"
    )
    back = pd.read_csv(io.BytesIO(data), skiprows=1)["ref"].tolist()
    assert back == ["'=promo", "ok"]
    csv_bullet = README.split("- CSV: a first line", 1)[1].split("\n- ", 1)[0]
    assert "`=promo` reads back as `'=promo`" in csv_bullet


def test_make_demo_writes_the_demo_logs_once(tmp_path: Path) -> None:
    """A later `make demo` reads the logs of the first: written again (they end yesterday),
    the same files would hold other events, and the database would keep both."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    demo = tmp_path / "demo"

    def planned() -> str:
        # -n: the commands make would run, none run; DB elsewhere than the project's.
        return subprocess.run(
            ["make", "-n", "-C", str(root), "demo", f"DEMO={demo}", f"DB={tmp_path / 'x.duckdb'}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip

    assert f"refscope demo-data --out {demo}" in planned()
    demo.mkdir()
    (demo / ".written").touch()  # as the first `make demo` leaves it
    again = planned()
    assert "demo-data" not in again and f"refscope ingest {demo}" in again


def test_make_demo_names_the_demo_pages(tmp_path: Path) -> None:
    """`make demo` records each demo page's username and name as the demo's catalogue has them."""
    import subprocess

    from ingest.demo_catalog import PAGES

    root = Path(__file__).resolve().parent.parent
    planned = subprocess.run(
        ["make", "-n", "-C", str(root), "demo", f"DEMO={tmp_path}", f"DB={tmp_path / 'x.db'}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    sets = [line.split("pages set ", 1)[1] for line in planned.splitlines() if "pages set " in line]
    assert sets == [f'{page} --username {user} --name "{name}" --db {tmp_path / "x.db"}'
                    for page, user, name in PAGES]  # fmt: skip


def test_readme_names_the_checks_make_test_runs() -> None:
    """`make test` runs the checks its README line names, in that order (mypy joined them)."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    planned = subprocess.run(
        ["make", "-n", "-C", str(root), "test"], capture_output=True, text=True, check=True
    ).stdout
    tools = ("ruff", "mypy", "pytest")
    run = [
        line.split("/bin/", 1)[1].removesuffix(" .")
        for line in planned.splitlines()
        if "/bin/" in line and line.split("/bin/", 1)[1].startswith(tools)
    ]
    line = README.split("make test   # ", 1)[1].split("\n", 1)[0]
    assert line.split(", ")[1:] == run == ["ruff check", "ruff format --check", "mypy", "pytest"]


def test_readme_lake_names_every_table_the_lake_writes() -> None:
    """The lake bullet lists the partitioned and the small tables: a table the lake gains must
    be named there (`ad_pulls` was written and read by `dashboard --lake` but not listed)."""
    from ingest import lake

    bullet = README.split("- **The lake.**", 1)[1].split("\n- **", 1)[0]
    partitioned, whole = bullet.split("`DIR/<table>.parquet`", 1)[0].split("small\n  tables", 1)
    for table in lake.PARTITIONED:
        assert f"`{table}`" in partitioned, table
    assert re.findall(r"`([a-z_]+)`", whole) == list(lake.WHOLE)


def test_readme_gives_pull_ads_default_start_as_the_help_does() -> None:
    """`pull ads` without `--since`: 28 days before the last pulled day, or 90 days back on an
    account's first pull (the README named only the first)."""
    from click.testing import CliRunner

    help_text = " ".join(CliRunner().invoke(cli, ["pull", "ads", "--help"]).output.split())
    assert "28 days before the last pulled day, or 90 days back" in help_text
    bullet = README.split("- `refscope pull ads --account", 1)[1].split("\n- ", 1)[0]
    bullet = " ".join(bullet.split())
    assert "28 days before the last pulled day" in bullet
    assert "with no row of the account yet from 90 days back" in bullet


def test_readme_subscribes_to_every_field_whose_events_refscope_reads() -> None:
    """Standby items (threads another app owns: a contact can first appear there), reactions
    (they create a contact) and handovers come only to an app subscribed to their fields
    (https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events)."""
    setup = README.split("subscribe the app to", 1)[1].split("(<https", 1)[0]
    fields = re.findall(r"`([a-z_]+)`", setup)
    for field in ("messages", "messaging_postbacks", "messaging_referrals", "message_echoes",
                  "message_deliveries", "message_reads", "messaging_optins",
                  "message_reactions", "messaging_handovers", "standby", "feed"):  # fmt: skip
        assert field in fields, field


def test_readme_says_forget_makes_a_database_that_is_not_there(tmp_path: Path) -> None:
    """Unlike `prune`, `forget` on a database not made yet makes it, to keep the person out of
    the ingests to come, and says so: the README's table said neither."""
    from click.testing import CliRunner

    db_file = tmp_path / "new.duckdb"
    res = CliRunner().invoke(cli, ["forget", "1234567890", "--db", str(db_file)])
    assert res.exit_code == 0 and db_file.exists()
    assert f"{db_file} did not exist: it was created to keep the forget" in res.output
    row = next(line for line in README.splitlines() if line.startswith("| `refscope forget "))
    assert "a database that does not exist is made, saying so" in row


def test_readme_says_a_rebuild_with_no_file_to_read_is_refused(tmp_path: Path) -> None:
    """--allow-missing goes on without inputs that are gone or pulled, but not to a file of
    carried rows alone: README said it rebuilt without their events, whatever was left."""
    from click.testing import CliRunner

    from tests.factories import delivery, message, write_ndjson

    log = write_ndjson(tmp_path / "a.ndjson", [delivery(message("hi"))])
    old, new = tmp_path / "old.duckdb", tmp_path / "new.duckdb"
    assert CliRunner().invoke(cli, ["ingest", str(log), "--db", str(old)]).exit_code == 0
    log.unlink()
    res = CliRunner().invoke(
        cli, ["rebuild", "--db", str(old), "--out", str(new), "--allow-missing"]
    )
    assert res.exit_code == 1 and "nothing to read: " in res.output and not new.exists()
    bullet = " ".join(
        README.split("It refuses, naming them, when an", 1)[1].split("\n- ")[0].split()
    )
    assert "no file to read" in bullet
    assert (
        "is refused with `nothing to read`, nothing written, also with `--allow-missing`" in bullet
    )


def test_readme_demo_data_names_every_kind_of_file_the_demo_writes(tmp_path: Path) -> None:
    """A newcomer finds each file of `data/demo` in "Demo data", by the name pattern written
    there (the monthly send logs, `sendlog-YYYY-MM.ndjson`, were not named)."""
    import datetime as dt

    from ingest.demo import write_demo

    write_demo(tmp_path, days=40, end=dt.date(2026, 11, 3), seed=3, scale=0.2)
    section = README.split("## Demo data", 1)[1].split("\n## ", 1)[0]
    for path in sorted(tmp_path.iterdir()):
        name = re.sub(r"\d{4}-\d{2}-\d{2}", "YYYY-MM-DD", path.name.removesuffix(".gz"))
        name = re.sub(r"\d{4}-\d{2}", "YYYY-MM", name)
        assert f"`{name}`" in section, path.name


def test_readme_command_synopses_give_each_options_default_and_choices() -> None:
    """Each command's synopsis in the README's tables names options the command has, with the
    default it has (`--port 8501`, `--interval 5`) and the choices it takes (`--format
    pdf\\|xlsx\\|html`); placeholders (`--db FILE`) and required options' examples aside."""
    import click

    cells = [re.split(r"(?<!\\)\|", line)[1] for line in README.splitlines()
             if line.startswith("| `refscope ")]  # fmt: skip
    synopses = [s for cell in cells for s in re.findall(r"`refscope ([^`]*)`", cell)]
    checked = 0
    for synopsis in synopses:
        words, command = synopsis.split(), cli
        while isinstance(command, click.Group):
            command = command.commands[words.pop(0)]
        names = [o for p in command.params for o in (*p.opts, *getattr(p, "secondary_opts", []))]
        # and every option the command has is told of somewhere (QR options: below the table)
        assert not [n for n in names if n.startswith("--") and n not in README], command.name
        for flag in re.findall(r"--(?:\[no-\])?[a-z][a-z-]*", synopsis):
            for name in {flag.replace("[no-]", ""), flag.replace("[no-]", "no-")}:
                assert name in names, (synopsis, name)
        for name, value in re.findall(r"(--[a-z][a-z-]*) ([^\s\[\]`\"]+)", synopsis):
            param = next(p for p in command.params if name in p.opts)
            if param.required or re.fullmatch(r"[A-Z_.]+|act_ID", value):
                continue  # an example (--older-than 25m) or a placeholder (--db FILE)
            if "\\|" in value:
                assert value.split("\\|") == list(getattr(param.type, "choices", [])), name
            elif isinstance(param.default, float | int):
                assert float(value) == param.default, (synopsis, name)
            else:
                # a default the command works out (demo-data --days) is said in its help
                said = re.search(r"\[default: ([^,\]]+)", getattr(param, "help", None) or "")
                assert value in (str(param.default), said and said[1]), (synopsis, name)
            checked += 1
    assert checked >= 12


def test_readme_gives_where_links_create_and_qr_write_codes_without_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without `--out`, `links create --channel qr` and `links qr` write the PNG and SVG in the
    current folder; the README's synopses gave `[--out DIR]` with no default."""
    from click.testing import CliRunner

    monkeypatch.chdir(tmp_path)
    db_args = ["--db", str(tmp_path / "x.duckdb")]
    create = ["links", "create", "--page", "acmebakery", "--ref", "flyer", "--channel", "qr"]
    assert CliRunner().invoke(cli, [*create, *db_args]).exit_code == 0
    assert sorted(p.name for p in tmp_path.glob("flyer.*")) == ["flyer.png", "flyer.svg"]
    (tmp_path / "flyer.png").unlink()
    assert CliRunner().invoke(cli, ["links", "qr", "flyer", *db_args]).exit_code == 0
    assert (tmp_path / "flyer.png").exists()
    for synopsis in ("`refscope links create --page PAGE ", "`refscope links qr REF "):
        cell = README.split(synopsis, 1)[1].split("`", 1)[0]
        assert "[--out .]" in cell, synopsis


def test_readme_and_help_give_the_qr_options_ranges(tmp_path: Path) -> None:
    """`--box-size` and `--border` refuse a value out of their range, which neither the README
    nor `--help` (`INTEGER`) gave; the top of each range makes a code."""
    from click.testing import CliRunner

    from ingest import qr

    base = ["links", "create", "--page", "acmebakery", "--channel", "qr",
            "--out", str(tmp_path), "--db", str(tmp_path / "x.duckdb")]  # fmt: skip
    help_text = " ".join(CliRunner().invoke(cli, ["links", "create", "--help"]).output.split())
    text = " ".join(README.split())
    for option, (low, high), unit in (("--box-size", qr.BOX_SIZES, "pixels"),
                                      ("--border", qr.BORDERS, "modules")):  # fmt: skip
        res = CliRunner().invoke(cli, [*base, "--ref", "r_over", option, str(high + 1)])
        assert res.exit_code == 1 and f"between {low} and {high} {unit}" in res.output
        res = CliRunner().invoke(cli, [*base, "--ref", f"r{high}", option, str(high)])
        assert res.exit_code == 0, res.output
        assert f"{low} to {high}" in help_text.split(option, 1)[1].split(" --", 1)[0], option
        assert f"`{option}` ({low} to {high} {unit}" in text, option


def test_readme_says_an_insights_file_does_not_bring_back_a_day_a_newer_pull_left_out(
    db_path: Path, tmp_path: Path
) -> None:
    """A pull removes a day and ad Meta revised to no delivery; an older insights file read
    after it does not store that day again, and says so as `not newer than those held`: the
    README named only rows held, so a file row stored nowhere beside no held row looked lost."""
    import datetime as dt
    import json
    import os

    from click.testing import CliRunner

    from ingest import db

    pulled = dt.datetime(2026, 11, 20, 12, 0)
    con = db.connect(db_path)
    try:
        con.execute("INSERT INTO ad_pulls VALUES ('555', DATE '2026-11-01', DATE '2026-11-19', ?)",
                    [pulled])  # fmt: skip
    finally:
        con.close()
    log = tmp_path / "export.ndjson"
    row = {"date_start": "2026-11-02", "date_stop": "2026-11-02", "ad_id": "120",
           "account_id": "555", "account_currency": "USD", "spend": "9.00"}  # fmt: skip
    log.write_text(json.dumps(row) + "\n", encoding="utf-8")
    stamp = (pulled - dt.timedelta(days=1)).replace(tzinfo=dt.UTC).timestamp()
    os.utime(log, (stamp, stamp))
    out = CliRunner().invoke(cli, ["ingest", str(log), "--db", str(db_path)])
    assert out.exit_code == 0, out.output
    assert "0 ad insights rows (1 not newer than those held, not stored)" in out.output
    bullet = " ".join(README.split("- ad insights, as the Marketing API's", 1)[1].split()[:200])
    assert (
        "one that a newer pull of its account asked for and left out (revised to no delivery) is "
        "not brought back (the summary counts both as `not newer than those held`)" in bullet
    )


def test_readme_development_names_every_query_module_of_the_dashboard() -> None:
    """Code layout says where the dashboard's SQL lives: each of its query modules is named
    (`query_parts.py`, the filters as SQL that the others build on, was not)."""
    section = README.split("## Development", 1)[1].split("\n## ", 1)[0]
    dashboard = Path(__file__).resolve().parent.parent / "dashboard"
    modules = sorted(p.name for p in dashboard.glob("*quer*.py"))
    assert "query_parts.py" in modules
    assert not [m for m in modules if f"`{m}`" not in section], modules


def test_readme_development_names_every_bench_script() -> None:
    """Development says what each script of `bench/` measures (`bench/dashboard.py` and
    `bench/receiver.py` were not named there)."""
    section = README.split("## Development", 1)[1].split("\n## ", 1)[0]
    bench = Path(__file__).resolve().parent.parent / "bench"
    for script in sorted(bench.glob("*.py")):
        assert f"`bench/{script.name}`" in section, script.name


def test_readme_scaling_quotes_the_receivers_measured_figures() -> None:
    """The Scaling table quoted every measured bench but the receiver's: how many deliveries a
    second it takes durably, against without fsync, their latency, and that none acknowledged
    was lost after a SIGKILL (bench/receiver.py prints them; the README said none)."""
    table = README.split("## Scaling", 1)[1].split("| what | figure |", 1)[1].split("\n\n")[0]
    rows = [line for line in table.splitlines() if "`bench/receiver.py`" in line]
    assert len(rows) == 1, table
    figures = rows[0].split(" | ", 1)[1]
    for said in ("req/s", "without fsync", "p50", "p99", "SIGKILL", "0 missing", "0 duplicated"):
        assert said in figures, said
