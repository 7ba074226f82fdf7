"""The README stays true: every CLI command is documented, every channel is in the contract."""

import re
from pathlib import Path

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


def test_readme_lake_names_every_table_the_lake_writes() -> None:
    """The lake bullet lists the partitioned and the small tables: a table the lake gains must
    be named there (`ad_pulls` was written and read by `dashboard --lake` but not listed)."""
    from ingest import lake

    bullet = README.split("- **The lake.**", 1)[1].split("\n- **", 1)[0]
    partitioned, whole = bullet.split("`DIR/<table>.parquet`", 1)[0].split("small\n  tables", 1)
    for table in lake.PARTITIONED:
        assert f"`{table}`" in partitioned, table
    assert re.findall(r"`([a-z_]+)`", whole) == list(lake.WHOLE)


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


def test_readme_development_names_every_figure_module_of_the_dashboard() -> None:
    """Code layout says where the dashboard's figures are: each of its chart modules is named
    (`charts_retention.py`, the retention heatmap and returns, was not: `charts.py` was said to
    hold every figure)."""
    section = README.split("## Development", 1)[1].split("\n## ", 1)[0]
    dashboard = Path(__file__).resolve().parent.parent / "dashboard"
    modules = sorted(p.name for p in dashboard.glob("chart*.py"))
    assert "charts_retention.py" in modules
    assert not [m for m in modules if f"`{m}`" not in section], modules
