"""A page id has at most 20 digits: the Graph API gives ids as numeric strings of 64-bit integers
(the largest, 18446744073709551615, has 20); page ids have some 15 digits. A longer number
given for a page (two ids pasted together) was taken as a page id, by every command and form
that takes one, and would never match a webhook; it is refused naming that rule, and every id
of up to 20 digits is still taken.
https://developers.facebook.com/docs/graph-api/reference/page/
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboard.cli import cli as refscope
from ingest import db, links
from ingest.errors import ValidationError
from ingest.receiver import ReceiverConfig
from tests.conftest import Query
from tests.ingest.links_setup import import_csv, write_csv
from tests.ingest.receiver_server import SECRET, TOKEN, StartReceiver

TAKEN = ["1", "112233445566778", "61550000000000001", "18446744073709551615", "9" * 20]
LONG = "1" * 21
RULE = "a page id is numeric, a positive number not starting with 0, of at most 20 digits"


@pytest.mark.parametrize("page_id", TAKEN)
def test_a_page_id_of_up_to_20_digits_is_taken(db_path: Path, page_id: str) -> None:
    assert links.check_page(page_id) == links.check_page_id(page_id) == page_id
    assert links.make_link(page_id, "spring").page == page_id
    con = db.connect(db_path)
    try:
        links.learn_page(con, page_id, "acmebakery", None)
        assert con.execute("SELECT page_id FROM pages").fetchall() == [(page_id,)]
    finally:
        con.close()


@pytest.mark.parametrize("page_id", [LONG, "12345678901234567890" * 2])
def test_a_longer_number_is_refused_naming_the_rule_it_broke(page_id: str) -> None:
    fault = f"(a page id of {len(page_id)} digits)"
    for check in (links.check_page, links.check_page_id, lambda p: links.make_link(p, "x")):
        with pytest.raises(ValidationError) as refused:
            check(page_id)
        said = str(refused.value)
        assert fault in said and "or a numeric page id (not starting with 0, at most 20 " \
            "digits)" in said  # fmt: skip


def test_every_command_taking_a_page_id_refuses_it(
    runner: CliRunner, db_path: Path, query: Query, tmp_path: Path
) -> None:
    res = runner.invoke(refscope, ["links", "create", "--page", LONG, "--ref", "spring",
                                   "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 1 and "(a page id of 21 digits)" in res.output, res.output
    csv = write_csv(tmp_path / "links.csv", ["acmebakery,door,qr,,,", f"{LONG},till,qr,,,"])
    res = import_csv(runner, db_path, csv)
    assert res.exit_code == 1 and "3: invalid page '" + LONG + "' (a page id of 21 digits)" \
        in res.output, res.output  # fmt: skip
    given = f"'{LONG}' (21 digits) is not a page id: {RULE}"
    commands = [
        ["pages", "set", LONG, "--username", "acmebakery"],
        ["forget", "7001", "--page", LONG],
        ["report", "--page", LONG, "--out", str(tmp_path / "r.pdf")],
    ]
    for args in commands:
        res = runner.invoke(refscope, [*args, "--db", str(db_path)])
        assert res.exit_code == 2 and given in " ".join(res.output.split()), res.output
    assert query("SELECT count(*) FROM tracked_links") == [(0,)]
    assert query("SELECT count(*) FROM pages") == [(0,)]


def test_a_scan_naming_a_longer_number_as_its_page_is_not_sent_there(
    start_receiver: StartReceiver, tmp_path: Path
) -> None:
    """With no registry read (a receiver on a host without the database), a link naming its
    page goes there when the page follows the rules: a longer number is no page's."""
    receiver = start_receiver(ReceiverConfig(
        tmp_path / "logs", tmp_path / "elsewhere" / "refscope.duckdb", (SECRET,), TOKEN,
        registry_refresh=0.0))  # fmt: skip
    r = receiver.get("/r/window_qr", params={"page": LONG})
    assert r.status_code == 404 and "(a page id of 21 digits)" in r.text, r.text
    r = receiver.get("/r/window_qr", params={"page": TAKEN[3]})
    assert (
        r.status_code == 302 and r.headers["location"] == f"https://m.me/{TAKEN[3]}?ref=window_qr"
    )
    assert len(receiver.lines("clicks")) == 1
