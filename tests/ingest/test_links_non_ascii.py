"""Tracked links beyond ASCII: a redirect address with a host or path beyond ASCII is written in
its ASCII form (the host in IDNA, the path percent-encoded), which every phone's QR reader opens,
alike by `links create`, `links import` and the Create links form; a print sheet's labels in
Hebrew or Arabic drawn in their reading order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fpdf import FPDF

from ingest import link_rules, links, pdf_text, qr_sheet
from ingest.cli import cli
from ingest.errors import ValidationError
from tests.ingest.links_setup import URL, create_or_import_window, decode, write_csv

GIVEN = "https://Bäckerei.example:8443/straße/"
ASCII = "https://xn--bckerei-5wa.example:8443/stra%C3%9Fe/"
LINK = f"{ASCII}r/window?page=acmebakery&qr=1"


@pytest.mark.parametrize(
    ("given", "written"),
    [
        (GIVEN, ASCII),
        ("https://bäckerei.example", "https://xn--bckerei-5wa.example"),
        ("http://go.example/café", "http://go.example/caf%C3%A9"),
        ("https://кафе.example/меню", "https://xn--80akn5b.example/%D0%BC%D0%B5%D0%BD%D1%8E"),
        ("https://Go.Example/a%20b", "https://go.example/a%20b"),  # ASCII: host in small letters
        # Fullwidth letters and dot are the ASCII ones under UTS #46, as a browser reads them.
        ("https://ｂａｋｅｒｙ．ｅｘａｍｐｌｅ:8443/x", "https://bakery.example:8443/x"),
        ("https://ＢＡＫＥＲＹ.example", "https://bakery.example"),
        ("https://Ｂäckerei.example", "https://xn--bckerei-5wa.example"),
    ],
    ids=[
        "host-port-path",
        "host",
        "path",
        "cyrillic",
        "ascii",
        "fullwidth",
        "fullwidth-capitals",
        "fullwidth-and-umlaut",
    ],  # fmt: skip
)
def test_a_redirect_address_beyond_ascii_is_written_in_its_ascii_form(
    given: str, written: str
) -> None:
    """It was kept as given: its code held raw UTF-8, which many readers take for Latin-1."""
    assert link_rules.check_base_url(given) == written
    assert links.make_link("acmebakery", "x", base_url=given).url.startswith(written)


EMOJI_RULE = (
    "it has a host that is no valid host name under IDNA 2008: U+1F35E '🍞' is not allowed: a "
    "host name holds letters, digits and hyphens, no emoji or other symbol (RFC 5892)"
)


@pytest.mark.parametrize(
    ("given", "fault"),
    [
        ("https://🍞.example", EMOJI_RULE),
        ("https://bread🍞.example:8443/menu", EMOJI_RULE),
        (
            "https://xn--ls8h.example",  # the xn-- form of an emoji
            "it has a host that is no valid host name under IDNA 2008: an xn-- label stands for "
            "a name in which U+1F4A9 '💩' is not allowed",
        ),
        (
            "https://bread\u200d.example",
            "it has a host that is no valid host name under IDNA 2008: U+200D '\\u200d' may "
            "stand only where RFC 5892's contextual rules allow it",
        ),
    ],
    ids=["emoji", "emoji-in-a-label", "emoji-xn", "zero-width-joiner"],
)
def test_a_redirect_host_that_idna_refuses_is_refused_with_the_rule(given: str, fault: str) -> None:
    """An emoji host was refused as one with "an empty label, a space or a broken xn-- label",
    none of which it has: the refusal names the character and IDNA 2008's rule."""
    with pytest.raises(ValidationError) as err:
        link_rules.check_base_url(given)
    assert str(err.value).startswith(f"invalid redirect address {given!r}: {fault}")


@pytest.mark.parametrize("command", ["create", "import"])
def test_links_refuse_an_emoji_host_and_take_a_fullwidth_one(
    command: str, tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    out = tmp_path / "codes"
    base = ["--out", str(out), "--db", str(db_path)]
    res = create_or_import_window(
        runner, command, tmp_path, ["--via-redirect", "https://🍞.example", *base]
    )
    assert res.exit_code == 1, res.output
    assert f"Error: invalid redirect address 'https://🍞.example': {EMOJI_RULE}" in res.output
    assert not out.exists()
    fullwidth = "https://ｂａｋｅｒｙ．ｅｘａｍｐｌｅ"
    res = create_or_import_window(runner, command, tmp_path, ["--via-redirect", fullwidth, *base])
    assert res.exit_code == 0, res.output
    assert f"redirect address {fullwidth} is written https://bakery.example in links" in res.output
    link = "https://bakery.example/r/window?page=acmebakery&qr=1"
    assert query.scalar("SELECT url FROM tracked_links") == link
    assert decode((out / "window.png").read_bytes()) == link


@pytest.mark.parametrize("command", ["create", "import"])
def test_a_redirect_address_beyond_ascii_is_registered_and_encoded_in_ascii(
    command: str, tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    """Both forms are said; the URL printed, registered and held by the code is the ASCII one."""
    out = tmp_path / "codes"
    base = ["--via-redirect", GIVEN, "--out", str(out), "--db", str(db_path)]
    res = create_or_import_window(runner, command, tmp_path, base)
    assert res.exit_code == 0, res.output
    if command == "create":
        assert res.stdout.splitlines()[0] == LINK
    assert f"redirect address {GIVEN} is written {ASCII} in links and codes" in res.output
    assert query.scalar("SELECT url FROM tracked_links") == LINK
    assert decode((out / "window.png").read_bytes()) == LINK


def test_a_code_written_again_holds_the_ascii_form_of_a_url_registered_raw(
    tmp_path: Path, runner: CliRunner, db_path: Path, execute: Any
) -> None:
    """A link an older refscope registered with the address as given: `links qr` wrote its raw
    UTF-8 again. The code now holds the same address in its ASCII form."""
    raw = "https://Bäckerei.example:8443/straße/r/window?page=acmebakery&qr=1"
    execute(
        "INSERT INTO tracked_links VALUES ('window', 'acmebakery', 'qr_code', NULL, NULL, NULL, "
        "?, now())",
        raw,
    )
    out = tmp_path / "codes"
    res = runner.invoke(cli, ["links", "qr", "window", "--out", str(out), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert decode((out / "window.png").read_bytes()) == LINK


@pytest.mark.skipif(pdf_text.font_files() is None, reason="no TrueType font installed")
def test_a_right_to_left_label_is_drawn_in_reading_order_on_the_print_sheet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Hebrew campaign was drawn in the order typed, left to right: backwards to its readers.
    Each label line is drawn in visual order now, its brackets facing the right way."""
    drawn: list[str] = []
    cell = FPDF.cell

    def recording(self: FPDF, *args: Any, **kwargs: Any) -> Any:
        drawn.append(kwargs.get("text", args[2] if len(args) > 2 else ""))
        return cell(self, *args, **kwargs)

    monkeypatch.setattr(FPDF, "cell", recording)
    qr_sheet.print_sheet([(URL, "שלום", "page acmebakery · מדף 3 (ראשי)")])
    assert drawn == ["םולש", "page acmebakery · (ישאר) 3 ףדמ"]


def test_a_campaign_typed_in_another_unicode_form_is_the_same_campaign(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    """'Café' with its é as one character (as typed) and as e plus an accent (as some Mac apps
    save a CSV) is one campaign: the import was refused as "campaign 'Café' (here 'Café')"."""
    composed, decomposed = "Caf\u00e9 \u05d0", "Cafe\u0301 \u05d0"
    res = runner.invoke(cli, ["links", "create", "--page", "acmebakery", "--ref", "w1",
                              "--campaign", composed, "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    csv_file = write_csv(tmp_path / "flyers.csv", [f"acmebakery,w1,link,{decomposed},,"])
    res = runner.invoke(cli, ["links", "import", str(csv_file), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert "registered 0 new links (1 already there)" in res.output
    assert query.scalar("SELECT campaign FROM tracked_links") == composed  # kept as registered
    # Both forms in one file: one link, the row repeated.
    rows = [f"acmebakery,w2,link,{composed},,", f"acmebakery,w2,link,{decomposed},,"]
    res = runner.invoke(cli, ["links", "import", str(write_csv(tmp_path / "two.csv", rows)),
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "registered 1 new link (0 already there)" in res.output
    # One that differs in more than its form is still refused, and only its real difference said.
    csv_file = write_csv(tmp_path / "flyers.csv", [f"acmebakery,w1,link,{decomposed},door,"])
    res = runner.invoke(cli, ["links", "import", str(csv_file), "--db", str(db_path)])
    assert res.exit_code == 1, res.output
    assert "with no placement (here 'door'): a ref means one thing per page" in res.output


@pytest.mark.parametrize(
    ("check", "value", "fault"),
    [
        (links.check_page, "\u0430cmebakery", "'\u0430' (U+0430 CYRILLIC SMALL LETTER A) at "
                                              "character 1"),
        (links.check_username, "acme\u0440age", "'\u0440' (U+0440 CYRILLIC SMALL LETTER ER) at "
                                                "character 5"),
        (links.check_ref, "spring\u2010sale", "'\u2010' (U+2010 HYPHEN) at character 7"),
        (links.check_ref, "a\u200bb", "'\\u200b' (U+200B ZERO WIDTH SPACE) at character 2"),
    ],
    ids=["page-cyrillic-a", "username-cyrillic-er", "ref-unicode-hyphen", "ref-zero-width"],
)  # fmt: skip
def test_a_refused_character_beyond_ascii_is_named(check: Any, value: str, fault: str) -> None:
    """A Cyrillic 'а' pasted into a username looks like the Latin 'a' the rule allows: the
    refusal quoted "'а' at character 1", which the reader could not tell apart from an 'a'."""
    with pytest.raises(ValidationError) as err:
        check(value)
    assert f"({fault})" in str(err.value)


@pytest.mark.parametrize("name", ["\u200b", "\u200f", " \u2060\u200d "])
def test_a_page_name_of_invisible_characters_only_is_blank(
    name: str, runner: CliRunner, query: Any, db_path: Path
) -> None:
    """A zero-width space or a right-to-left mark alone was stored as the page's name: every
    view then named the page with nothing, not by its username or id."""
    res = runner.invoke(cli, ["pages", "set", "1122334455667788", "--name", name,
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code != 0
    assert "invalid page name (blank: no visible character)" in res.output
    assert query.scalar("SELECT count(*) FROM pages") == 0


def test_a_page_name_beyond_ascii_is_stored_and_said_as_given(
    runner: CliRunner, query: Any, db_path: Path
) -> None:
    name = "\u05de\u05d0\u05e4\u05d9\u05d9\u05d4 \U0001f950 Cafe\u0301"
    res = runner.invoke(cli, ["pages", "set", "1122334455667788", "--name", name,
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert f"name {name}" in res.output
    assert query.scalar("SELECT name FROM pages") == name


def test_links_list_piped_keeps_one_line_a_link_with_unicode_line_breaks(
    runner: CliRunner, db_path: Path
) -> None:
    """A campaign holding U+2028 or U+2029 (pasted from a word processor) was printed raw: a
    reader splitting lines as Unicode does (Python's splitlines, a JavaScript tool) got the link
    cut in two. Each is a space, as a line break is; text beyond ASCII is printed as given."""
    campaign = "Fr\u00fchling\u2028\u05d0\u05d1\u05d9\u05d1\u2029\U0001f338"
    res = runner.invoke(cli, ["links", "create", "--page", "acmebakery", "--ref", "w1",
                              "--campaign", campaign, "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    listed = runner.invoke(cli, ["links", "list", "--db", str(db_path)])
    lines = listed.stdout.splitlines()
    assert len(lines) == 2, lines
    assert lines[1].split("\t")[3] == "Fr\u00fchling \u05d0\u05d1\u05d9\u05d1 \U0001f338"
