"""The README's SQL contract stays true: its tables and columns are the schema's, their values
what the commands store, and its example query runs and gives what it says."""

import re
from pathlib import Path

import tests.factories as f
from dashboard.cli import cli
from tests.conftest import IngestLines, Query
from tests.test_docs import README


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


# Every referral source Meta's docs name (https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messaging_referrals
# and the older pages: dead ones stay in history), and the third parties' spellings the README
# quotes.
SOURCES = ("SHORTLINK", "SHORT-URL", "SHORT_URL", "ADS", "CUSTOMER_CHAT_PLUGIN", "MESSENGER_CODE",
           "DISCOVER_TAB", "IGME-SOURCE-LINK", "SHORTLINKS")  # fmt: skip


def test_readme_channel_table_names_each_referral_source_in_the_row_of_its_channel(
    ingest_lines: IngestLines, query: Query
) -> None:
    """A team reading "Attribution" finds each source it sees in `events.source` in the row of
    the channel its contacts count under (the Discover tab's, in logs before 2020, was in none)."""
    ingest_lines([f.delivery(f.referral(f"r{n}", psid=source, source=source))
                  for n, source in enumerate(SOURCES)])  # fmt: skip
    table = README.split("| channel | touch |", 1)[1].split("\n\n")[0]
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| (.*) \|$", table, flags=re.M))
    got = query("SELECT psid, channel FROM contacts ORDER BY psid")
    assert len(got) == len(SOURCES)
    assert [(s, c) for s, c in got if f"`{s}`" not in rows[c]] == []
