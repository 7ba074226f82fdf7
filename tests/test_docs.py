"""The README stays true: every CLI command is documented, every channel is in the contract."""

import re
from pathlib import Path

from dashboard.cli import cli
from ingest.attribute import CHANNELS
from tests.conftest import IngestLines
from tests.ingest.receiver_server import StartReceiver, start_receiver  # noqa: F401 (fixture)

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


def test_readme_names_every_system_package_the_tests_need() -> None:
    """A newcomer runs `make test` on a fresh machine: each Debian package `.ci/run` installs
    for the tests is named beside it (libcairo2, without which the QR tests do not even load,
    was not)."""
    root = Path(__file__).resolve().parent.parent
    packages = re.findall(r"missing\+=\(([a-z0-9.+-]+)\)", (root / ".ci" / "run").read_text())
    assert "chromium" in packages
    head = README.split("## Commands", 1)[0]
    assert not [p for p in packages if f"`{p}`" not in head], packages


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


def test_readme_says_what_serve_does_without_its_secrets(
    start_receiver: StartReceiver,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    """`refscope serve` starts with neither REFSCOPE_APP_SECRET nor REFSCOPE_VERIFY_TOKEN set:
    every delivery and every handshake then gets 503, naming the setting. The README named
    both but not what their absence does, the first thing to check when Meta's setup fails."""
    from ingest.receiver import ReceiverConfig

    receiver = start_receiver(ReceiverConfig.from_env(tmp_path / "logs", environ={}))
    delivery = receiver.post(b'{"object": "page", "entry": []}')
    assert delivery.status_code == 503 and "REFSCOPE_APP_SECRET is not set" in delivery.text
    params = {"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "1"}
    handshake = receiver.get("/webhook", params=params)
    assert handshake.status_code == 503 and "REFSCOPE_VERIFY_TOKEN is not set" in handshake.text
    bullet = README.split("- Configuration comes from the environment only:", 1)[1]
    bullet = " ".join(bullet.split("\n- ", 1)[0].split())
    assert "without `REFSCOPE_APP_SECRET` every `POST /webhook` gets 503" in bullet
    assert "without `REFSCOPE_VERIFY_TOKEN` every handshake (`GET /webhook`) does" in bullet


def test_readme_and_changelog_give_the_receivers_body_cap() -> None:
    """The receiver refuses a body over its cap with 413; README and the changelog's Unreleased
    lines give the cap the code has (one Unreleased line still said 8 MiB after it became 1 MiB)."""
    from ingest.receiver import MAX_BODY_BYTES

    changelog = (Path(__file__).resolve().parent.parent / "CHANGELOG.md").read_text("utf-8")
    unreleased = " ".join(changelog.split("## [Unreleased]", 1)[1].split("\n## [", 1)[0].split())
    caps = re.findall(r"body cap is (\d+) MiB", unreleased)
    readme_caps = re.findall(r"a body over (\d+) MiB gets 413", " ".join(README.split()))
    assert caps and readme_caps
    assert {int(n) * 1024 * 1024 for n in caps + readme_caps} == {MAX_BODY_BYTES}


def test_readme_names_each_environment_setting_with_its_default() -> None:
    """Every variable the code reads from the environment is named in the README, and one with
    a default gives it there, as the code has it (`REFSCOPE_GRAPH_URL`'s was nowhere)."""
    from ingest import db, graph, pipeline
    from ingest.access import AUTH_ENV

    root = Path(__file__).resolve().parent.parent
    sources = [p for d in ("ingest", "dashboard") for p in (root / d).rglob("*.py")]
    code = "".join(p.read_text("utf-8") for p in sources)
    read = set(re.findall(r"\b(REFSCOPE_[A-Z_]+|BROWSER_PATH)\b", code)) - {AUTH_ENV}
    assert {"REFSCOPE_DB", "REFSCOPE_GRAPH_URL", "BROWSER_PATH"} <= read
    text = " ".join(README.split())
    assert not [v for v in sorted(read) if f"`{v}" not in text]
    defaults = {"REFSCOPE_DB": str(db.DEFAULT_DB), "REFSCOPE_GRAPH_URL": graph.DEFAULT_BASE_URL,
                "REFSCOPE_INGEST_MEMORY": pipeline.INGEST_MEMORY_LIMIT}  # fmt: skip
    for var, default in defaults.items():
        near = [text[max(0, m.start() - 200) : m.end() + 200] for m in re.finditer(var, text)]
        assert any(f"`{default}`" in n for n in near), (var, default)


def test_readme_says_how_the_size_settings_count() -> None:
    """`REFSCOPE_INGEST_BATCH`, `REFSCOPE_INGEST_MEMORY` and `REFSCOPE_MAX_BODY` take `8MB`,
    `512KiB` or bytes, K, M and G as powers of 1024 (the receiver's default cap, `1MB` in
    `serve --help`, is the README's 1 MiB): the README gave examples only."""
    from ingest import sources

    env = {"X": "8MB", "Y": "512KiB", "Z": "1048576"}
    assert [sources.size_setting(k, 0, env) for k in env] == [8 * 2**20, 512 * 2**10, 2**20]
    text = " ".join(README.split())
    at = text.index("`REFSCOPE_INGEST_BATCH` (e.g. `8MB`")
    assert "K, M and G are powers of 1024" in text[at : at + 200]


def _contract() -> str:
    return README.split("## The SQL contract", 1)[1].split("\n## ", 1)[0]


def test_readme_sql_contract_names_the_tables_and_columns_the_schema_has(db_path: Path) -> None:
    """Every table of the database is named in "The SQL contract", and each column list given
    there (`events` — `...`, `tracked_links` (`...`)) is that table's columns, none missing or
    made up: a team writes its SQL from these lists."""
    from ingest import db

    con = db.connect(db_path, read_only=True)
    try:
        rows = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal "
            "ORDER BY column_index"
        ).fetchall()
    finally:
        con.close()
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        columns.setdefault(table, []).append(column)
    contract = _contract().split("All timestamps are UTC", 1)[0]
    named = set(re.findall(r"`([a-z_]+)`", contract))
    assert set(columns) <= named, sorted(set(columns) - named)
    ident_list = r"[a-z_]+(?:,\s*[a-z_]+){2,}"
    lists: dict[str, list[str]] = {}
    for bullet in re.split(r"\n- ", contract)[1:]:
        head = re.match(r"`([a-z_]+)` —", bullet)
        given = [g for g in re.findall(r"`([^`]+)`", bullet)[1:] if re.fullmatch(ident_list, g)]
        if head and given:
            lists[head.group(1)] = re.split(r",\s*", given[0])
        for table, cols in re.findall(rf"`([a-z_]+)` \(`({ident_list})`", bullet):
            lists[table] = re.split(r",\s*", cols)
    assert {"events", "touches", "contacts", "clicks", "tracked_links", "pages", "ad_pulls",
            "rejects"} <= set(lists)  # fmt: skip
    for table, cols in lists.items():
        assert table in columns, table
        assert not set(cols) - set(columns[table]), (table, set(cols) - set(columns[table]))
    # The full lists: events, touches, contacts, clicks and contact_days (retention SQL needs
    # its `day`) name every column they have; `prunes` names its two.
    for table in ("events", "touches", "contacts", "clicks", "contact_days"):
        assert sorted(lists.get(table, [])) == sorted(columns[table]), table
    prunes = " ".join(contract.split("`prunes` (", 1)[1].split(")", 1)[0].split())
    assert sorted(re.findall(r"`([a-z_]+)`", prunes)) == sorted(columns["prunes"]), prunes


def test_readme_sql_contract_gives_the_channels_tracked_links_holds(db_path: Path) -> None:
    """`links create --channel qr|link` stores the channel a contact of the ref counts under
    (`qr_code`, `m_me_link`), not the option's word: SQL written from the README must match
    what the table holds (`WHERE channel = 'qr'` found nothing, and nothing said so)."""
    from click.testing import CliRunner

    from ingest import db

    for ref, channel in (("flyer", "qr"), ("bio", "link")):
        args = ["links", "create", "--page", "acmebakery", "--ref", ref, "--channel", channel,
                "--out", str(db_path.parent), "--db", str(db_path)]  # fmt: skip
        assert CliRunner().invoke(cli, args).exit_code == 0
    con = db.connect(db_path, read_only=True)
    try:
        held = {c for (c,) in con.execute("SELECT DISTINCT channel FROM tracked_links").fetchall()}
    finally:
        con.close()
    assert held == {"qr_code", "m_me_link"}
    bullet = _contract().split("- `tracked_links` (", 1)[1].split("`pages` (", 1)[0]
    bullet = " ".join(bullet.split())
    assert all(f"`{c}`" in bullet for c in held), bullet


def test_readme_sql_example_runs_and_gives_last_months_channels(
    db_path: Path, ingest_lines: IngestLines
) -> None:
    """The README's example query, copied as it stands, runs on a real database and gives what
    it says: last month's new contacts and engaged rate per channel, most contacts first."""
    import datetime as dt

    from ingest import db
    from tests.factories import delivery, message, referral

    example = re.findall(r"```sql\n(.*?)```", _contract(), flags=re.S)
    assert len(example) == 1
    con = db.connect(db_path, read_only=True)
    try:
        today = con.execute("SELECT current_date").fetchone()[0]  # the query's own "today"
    finally:
        con.close()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=10)
    t0 = int(dt.datetime(last_month.year, last_month.month, 10, 12, tzinfo=dt.UTC).timestamp())
    t0 *= 1000
    this_month = int(dt.datetime(today.year, today.month, 1, 12, tzinfo=dt.UTC).timestamp() * 1000)
    lines = [
        # two contacts from an m.me link, one of them engaged (a second message)
        delivery(referral("flyer", psid="p1", ts=t0), message("hi", psid="p1", ts=t0 + 1000)),
        delivery(message("again", psid="p1", ts=t0 + 60_000)),
        delivery(referral("flyer", psid="p2", ts=t0), message("hi", psid="p2", ts=t0 + 2000)),
        # one organic contact last month, one this month (not counted)
        delivery(message("hello", psid="p3", ts=t0 + 5000)),
        delivery(message("hello", psid="p4", ts=this_month)),
    ]
    ingest_lines(lines)
    con = db.connect(db_path, read_only=True)
    try:
        cur = con.execute(example[0])
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    finally:
        con.close()
    assert names == ["channel", "new_contacts", "engaged_pct"]
    assert rows == [("m_me_link", 2, 50.0), ("organic", 1, 0.0)]


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
