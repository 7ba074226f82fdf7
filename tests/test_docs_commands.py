"""The README's command synopses and what it says of each command's options and refusals agree
with the commands' --help and with what they do."""

import re
from pathlib import Path

import pytest

from dashboard.cli import cli
from tests.test_docs import README


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
        assert res.exit_code == 2 and f"not in the range {low}<=x<={high}" in res.output
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


def test_each_pulls_deadline_help_speaks_of_that_pull() -> None:
    """`pull logs` and `pull ads` shared one `--deadline` help: `pull ads --help` spoke of "the
    ingest after" (it ingests nothing) and `pull logs --help` of Meta's rate limits (a log host
    has none), where the README says what each one's deadline covers."""
    from click.testing import CliRunner

    def deadline_help(command: str) -> str:
        text = " ".join(CliRunner().invoke(cli, ["pull", command, "--help"]).output.split())
        return text.split("--deadline DURATION", 1)[1].split(" --lake ", 1)[0]

    logs, ads = deadline_help("logs"), deadline_help("ads")
    assert "not the ingest after" in logs and "Meta" not in logs, logs
    assert "a large first export on a slow link" in logs, logs
    assert "ingest" not in ads and "Meta's rate limits" in ads, ads
    readme = " ".join(README.split())
    assert "so a large first export on a slow link is not given up every time" in readme
    assert "a first pull told by Meta to wait hours for its rate limits waits them out" in readme
