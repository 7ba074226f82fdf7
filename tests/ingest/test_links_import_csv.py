"""`refscope links import`, the file as read: header variants, row shapes, quoting, physical
line numbers, encodings and separators Excel saves, and values refused with their line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import links_csv
from ingest.errors import ValidationError
from ingest.link_rules import CREATED_RULE
from tests.ingest.links_setup import HEADER, import_csv, write


def test_header_names_are_matched_without_spaces_or_case(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    csv_file = write(tmp_path / "links.csv", "page, Ref , Channel\nacmebakery,window, qr\n")
    res = import_csv(runner, db_path, csv_file)
    assert res.exit_code == 0, res.output
    assert query("SELECT page, ref, channel FROM tracked_links") == [
        ("acmebakery", "window", "qr_code")
    ]


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("page,ref,colour", "unknown column 'colour'"),
        ("ref,channel", "no 'page' column"),
        ("page,ref,REF ", "column 'ref' appears 2 times"),
    ],
    ids=["unknown", "missing", "repeated"],
)
def test_a_bad_header_refuses_the_file_naming_the_column(header: str, problem: str,
                                                         tmp_path: Path) -> None:  # fmt: skip
    csv_file = write(tmp_path / "links.csv", f"{header}\nacmebakery,window,qr\n")
    with pytest.raises(ValidationError) as info:
        links_csv.read_csv(csv_file)
    assert f"line 1: {problem}" in str(info.value)
    assert "the header names columns among page, ref, channel" in str(info.value)


def test_a_row_with_more_fields_than_the_header_is_refused_with_its_line(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    text = f"{HEADER}\nacmebakery,window,qr,spring,shop, main street,note\n"
    res = import_csv(runner, db_path, write(tmp_path / "links.csv", text))
    assert res.exit_code == 1
    assert "line 2: 7 fields under 6 columns: a row has no more fields than the header" in (
        res.output
    )
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0


def test_empty_rows_are_skipped_and_line_numbers_stay_physical(tmp_path: Path) -> None:
    text = (
        f"{HEADER}\r\n"
        ",,,,,\r\n"  # line 2: an empty spreadsheet row
        "\r\n"  # line 3: a blank line
        'acmebakery,window,qr,spring,shop,"first\nsecond"\r\n'  # lines 4-5: a quoted break
        "acmebakery,counter,qr,spring,shop,first\u2028second\x0cthird\r\n"  # line 6
        "acme,door,qr,,,\r\n"  # line 7: a bad page
    )
    report = links_csv.read_csv(write(tmp_path / "links.csv", text))
    assert [x.notes for x in report.links] == ["first\nsecond", "first\u2028second\x0cthird"]
    assert len(report.errors) == 1 and report.errors[0].startswith("line 7: invalid page 'acme'")


def test_an_unclosed_quote_refuses_the_file_with_the_line_it_starts_on(tmp_path: Path) -> None:
    text = f'{HEADER}\nacmebakery,window,qr,,,ok\nacmebakery,door,qr,,,"open\nacmebakery,x\n'
    with pytest.raises(ValidationError, match=r"line 3: unexpected end of data: a quoted value"):
        links_csv.read_csv(write(tmp_path / "links.csv", text))


def test_a_row_with_a_stray_quote_is_reported_with_every_other_bad_row(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    """A value with text after its closing quote refused the whole file at that line: the bad
    rows before and after it were never reported, to be found one import at a time."""
    text = (
        f"{HEADER}\r\n"
        "acmebakery,window,qr,,,\r\n"
        "acmebakery,bad ref,qr,,,\r\n"  # line 3
        'acmebakery,door,qr,"Spring" 2026,,\r\n'  # line 4: text after the closing quote
        "acmebakery,till,qr,,,\r\n"
        "acme,counter,qr,,,\r\n"  # line 6
    )
    res = import_csv(runner, db_path, write(tmp_path / "links.csv", text))
    assert res.exit_code == 1
    lines = [x.split(":line ", 1)[1] for x in res.stderr.splitlines() if ":line " in x]
    assert [x.split(":", 1)[0] for x in lines] == ["3", "4", "6"]
    assert lines[1] == (
        "4: ',' expected after '\"': a quoted value starts and ends with a quote, and a quote "
        "inside it is doubled"
    )
    assert "3 invalid rows; nothing was registered" in res.output
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0


@pytest.mark.parametrize(
    ("encoding", "line"), [("cp1252", 3), ("latin-1", 3), ("utf-16", 1)], ids=str
)
def test_a_file_that_is_not_utf8_is_refused_with_its_line_and_the_rule(
    tmp_path: Path, runner: CliRunner, db_path: Path, encoding: str, line: int
) -> None:
    # Excel's plain "CSV" on Windows is cp1252, its "Unicode text" UTF-16: the first byte
    # that is not UTF-8 says which line to look at, and the rule says what to save instead.
    text = f"{HEADER}\nacmebakery,window,qr,,,ok\nacmebakery,door,qr,Été,Vitrine,ok\n"
    path = tmp_path / "links.csv"
    path.write_bytes(text.encode(encoding))
    res = import_csv(runner, db_path, path)
    assert res.exit_code == 1
    assert f"links.csv: line {line}: not UTF-8 text" in res.output
    assert "a links CSV is UTF-8 (in Excel: save as CSV UTF-8)" in res.output
    assert "codec" not in res.output


def test_a_mac_csv_with_lines_ended_by_cr_names_the_line_of_its_first_other_byte(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    """Excel for Mac's "CSV (Macintosh)" is Mac Roman text whose lines end in a CR alone: the
    line named is the one the rows are numbered by, not line 1 (no LF before the byte)."""
    text = f"{HEADER}\racmebakery,window,qr,,,ok\racmebakery,door,qr,Café,Vitrine,ok\r"
    path = tmp_path / "links.csv"
    path.write_bytes(text.encode("mac_roman"))
    res = import_csv(runner, db_path, path)
    assert res.exit_code == 1
    assert "links.csv: line 3: not UTF-8 text (byte 0x8e)" in res.output
    # The same file in UTF-8 is read by those lines: its row errors name the same line.
    path.write_bytes(text.replace("door", "a door").encode())
    assert "links.csv:line 3: invalid ref 'a door'" in import_csv(runner, db_path, path).output


def test_a_file_with_a_utf8_mark_and_cp1252_text_names_the_byte_and_its_line(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    """The byte-order mark is not part of the decoded text: the byte named is the É itself."""
    text = f"{HEADER}\nacmebakery,window,qr,,,ok\nacmebakery,door,qr,Été,Vitrine,ok\n"
    path = tmp_path / "links.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("cp1252"))
    res = import_csv(runner, db_path, path)
    assert res.exit_code == 1
    assert "links.csv: line 3: not UTF-8 text (byte 0xc9)" in res.output


def test_a_channel_is_read_whatever_its_case(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    csv_file = write(tmp_path / "case.csv", f"{HEADER}\nacmebakery,door,QR,,,\n"
                     "acmebakery,menu,Link,,,\nacmebakery,till,Qr_Code,,,\n"
                     "acmebakery,card,sms,,,\n")  # fmt: skip
    res = import_csv(runner, db_path, csv_file)
    assert res.exit_code == 1 and "line 5" in res.output and "invalid channel 'sms'" in res.output
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0  # all or nothing
    csv_file.write_text("\n".join(csv_file.read_text().splitlines()[:-1]) + "\n")
    res = import_csv(runner, db_path, csv_file)
    assert res.exit_code == 0, res.output
    assert query("SELECT ref, channel FROM tracked_links ORDER BY ref") == [
        ("door", "qr_code"), ("menu", "m_me_link"), ("till", "qr_code")]  # fmt: skip


def test_a_page_or_ref_with_surrounding_spaces_is_refused_with_its_line(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    """They were stripped: the ref registered was not the one in the file."""
    text = (f"{HEADER}\nacmebakery,window,qr,,,\nacmebakery, door,qr,,,\n"
            "acmebakery ,till,qr,,,\nacmebakery,\t,qr,spring,shop,\n")  # fmt: skip
    res = import_csv(runner, db_path, write(tmp_path / "links.csv", text))
    assert res.exit_code == 1
    lines = [x.split(":line ", 1)[1] for x in res.stderr.splitlines() if ":line " in x]
    assert lines == [
        "3: invalid ref ' door' (leading or trailing whitespace): a ref uses only A-Z a-z 0-9 "
        "_ - = and has 1 to 250 characters",
        "4: invalid page 'acmebakery ' (leading or trailing whitespace): a page is a Facebook "
        "username (5 to 50 ASCII letters, digits and periods, with at least 5 letters or digits, "
        "one a letter, and no .com or .net ending) or a numeric page id (not starting with 0, at "
        "most 20 digits)",
        "5: invalid ref '\\t' (only whitespace): a ref uses only A-Z a-z 0-9 _ - = and has 1 "
        "to 250 characters",
    ]
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0


@pytest.mark.parametrize(
    ("sep", "name"), [(";", "semicolon"), ("\t", "tab")], ids=["semicolon", "tab"]
)
def test_a_file_separated_by_semicolons_or_tabs_is_read_by_its_header(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path, sep: str, name: str
) -> None:
    """Excel saves CSV, even "CSV UTF-8", with semicolons where the list separator is one
    (German, French, Swedish settings); cells pasted from a sheet are tab-separated. Such a
    file was refused whole: unknown column 'page;ref;channel;campaign'."""
    rows = [["Page", "Ref", "Channel", "Campaign"], ["acmebakery", "window", "QR", "Spring, 2026"]]
    text = "\ufeff" + "".join(sep.join(row) + "\r\n" for row in rows)
    res = import_csv(runner, db_path, write(tmp_path / "links.csv", text))
    assert res.exit_code == 0, res.output
    assert query("SELECT page, ref, channel, campaign FROM tracked_links") == [
        ("acmebakery", "window", "qr_code", "Spring, 2026")
    ]
    extra = write(tmp_path / "extra.csv", f"page{sep}ref\nacmebakery{sep}door{sep}x\n")
    res = import_csv(runner, db_path, extra)
    assert res.exit_code == 1
    assert f"line 2: 3 fields under 2 columns: a row has no more fields than the header " \
        f"(quote a value that holds a {name})" in res.output  # fmt: skip


def test_blank_header_cells_excel_adds_name_no_column_while_their_cells_are_blank(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    """Excel saves the empty columns of a sheet's used range as trailing separators on every
    line: such a file was refused whole, as `unknown column ''`."""
    text = f"{HEADER},,\r\nacmebakery,window,qr,spring,,,,\r\n,,,,,,,\r\n"
    res = import_csv(runner, db_path, write(tmp_path / "links.csv", text))
    assert res.exit_code == 0, res.output
    assert query("SELECT ref, channel, campaign FROM tracked_links") == [
        ("window", "qr_code", "spring")
    ]
    # A value under a blank header cell belongs to no column: that row is refused.
    text = "page,,ref\r\nacmebakery,,door\r\nacmebakery,qr,door2\r\n"
    res = import_csv(runner, db_path, write(tmp_path / "named.csv", text))
    assert res.exit_code == 1
    assert f"named.csv:line 3: {links_csv.UNNAMED_RULE}" in res.output
    assert "line 2" not in res.output
    assert query("SELECT count(*) FROM tracked_links") == [(1,)]


def test_a_created_time_is_kept_in_utc_and_an_empty_one_is_the_import_time(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    """Every link an import registered was made at the import's time: a registry listed
    (`links list --format csv`) and imported elsewhere lost when each link was made."""
    text = ("page,ref,created\nacmebakery,window,2026-03-14T09:30:12.123456Z\n"
            "acmebakery,door,2026-03-14T10:30:00+01:00\nacmebakery,till, 2026-03-14 09:30 \n"
            "acmebakery,menu,2026-03-14\nacmebakery,shelf,\n")  # fmt: skip
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    res = import_csv(runner, db_path, write(tmp_path / "links.csv", text))
    assert res.exit_code == 0, res.output
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    created = dict(query("SELECT ref, created_at FROM tracked_links"))
    assert {ref: created[ref] for ref in ("window", "door", "till", "menu")} == {
        "window": dt.datetime(2026, 3, 14, 9, 30, 12, 123456),
        "door": dt.datetime(2026, 3, 14, 9, 30),
        "till": dt.datetime(2026, 3, 14, 9, 30),
        "menu": dt.datetime(2026, 3, 14),
    }
    assert before <= created["shelf"] <= after
    # A link registered before keeps when it was made.
    again = write(tmp_path / "again.csv", "page,ref,created\nacmebakery,window,2020-01-01\n")
    res = import_csv(runner, db_path, again)
    assert res.output.startswith("registered 0 new links (1 already there)"), res.output
    assert query.scalar("SELECT created_at FROM tracked_links WHERE ref = 'window'") == (
        dt.datetime(2026, 3, 14, 9, 30, 12, 123456)
    )


def test_a_bad_created_time_is_refused_with_its_line_and_rule(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    """A time as a spreadsheet shows it, a day no month has, one past year 9999 in UTC."""
    text = ("page,ref,created\nacmebakery,window,14/03/2026 09:30\n"
            "acmebakery,door,2026-03-14\nacmebakery,till,2026-02-30T10:00:00Z\n"
            "acmebakery,menu,9999-12-31T23:30:00-01:00\n")  # fmt: skip
    res = import_csv(runner, db_path, write(tmp_path / "links.csv", text))
    assert res.exit_code == 1
    lines = [x.split(":line ", 1)[1] for x in res.stderr.splitlines() if ":line " in x]
    rule = CREATED_RULE
    assert rule.startswith("created is a date and time in ISO 8601")
    assert lines == [
        f"2: invalid created time '14/03/2026 09:30': {rule}",
        f"4: invalid created time '2026-02-30T10:00:00Z': {rule}",
        f"5: invalid created time '9999-12-31T23:30:00-01:00': {rule}",
    ]
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0


def test_a_created_time_in_the_future_is_refused_with_its_line_and_rule(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    """Year 2999 (a typo, or another machine's clock) was registered as when a link was made;
    a few minutes ahead, two clocks' skew, is not refused."""
    now = dt.datetime.now(dt.UTC)
    soon = (now + dt.timedelta(minutes=2)).isoformat()
    later = (now + dt.timedelta(minutes=10)).isoformat()
    text = (f"page,ref,created\nacmebakery,window,2999-01-01T00:00:00Z\nacmebakery,door,{soon}\n"
            f"acmebakery,till,{later}\n")  # fmt: skip
    res = import_csv(runner, db_path, write(tmp_path / "links.csv", text))
    assert res.exit_code == 1
    lines = [x.split(":line ", 1)[1] for x in res.stderr.splitlines() if ":line " in x]
    assert [line.split(":", 1)[0] for line in lines] == ["2", "4"], res.stderr
    assert lines[0].startswith("2: created time '2999-01-01T00:00:00Z' is in the future "
                               "(2999-01-01 00:00:00 UTC, now "), lines  # fmt: skip
    assert all(line.endswith(
        ": a link cannot have been created after the import: created is at most 5 minutes "
        "(clocks' skew) after now") for line in lines), lines  # fmt: skip
    assert "2 invalid rows; nothing was registered" in res.stderr
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0
    res = import_csv(runner, db_path, write(tmp_path / "soon.csv", "page,ref,created\n"
                                            f"acmebakery,door,{soon}\n"))  # fmt: skip
    assert res.exit_code == 0, res.output
