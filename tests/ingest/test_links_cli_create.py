"""`refscope links create` (and the options `links import` and `links qr` share with it): a bad
ref or page, a redirect address no code should hold, an --out it cannot write and a URL too long
for any QR code refused before anything is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ingest import db, links
from ingest.cli import cli
from tests.ingest.links_setup import create_or_import_window, write_csv


@pytest.mark.parametrize("ref", ["a b", "a  b", "a   b  "])
def test_cli_refuses_a_bad_ref_with_the_rule(runner: CliRunner, db_path: Path, ref: str) -> None:
    """The message quotes the ref as given: its runs of spaces are not collapsed."""
    res = runner.invoke(
        cli, ["links", "create", "--page", "acmebakery", "--ref", ref, "--db", str(db_path)]
    )
    assert res.exit_code != 0
    assert f"invalid ref {ref!r} " in res.output and "A-Z a-z 0-9 _ - =" in res.output


@pytest.mark.parametrize(("ref", "fault"), [("", "0 characters"), (" ", "only whitespace")])
def test_cli_refuses_an_empty_ref_given_with_the_rule(
    runner: CliRunner, db_path: Path, query: Any, ref: str, fault: str
) -> None:
    """`--ref "$REF"` with REF unset is a bad ref: it did not register a ref built from the
    campaign (or say "without a ref, give a campaign"), as leaving --ref out does."""
    args = ["links", "create", "--page", "acmebakery", "--campaign", "spring", "--ref", ref]
    res = runner.invoke(cli, [*args, "--db", str(db_path)])
    assert res.exit_code == 1, res.output
    assert f"invalid ref {ref!r} ({fault}): a ref uses only A-Z a-z 0-9 _ - =" in res.output
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0


@pytest.mark.parametrize(
    ("option", "value", "shown"),
    [
        ("--ref", " spring ", "invalid ref ' spring ' (leading or trailing whitespace): a ref "
                              "uses only A-Z a-z 0-9 _ - ="),
        ("--ref", "spring\n", "invalid ref 'spring\\n' (leading or trailing whitespace)"),
        ("--page", " acmebakery", "invalid page ' acmebakery' (leading or trailing whitespace): "
                                  "a page is a Facebook username"),
        ("--page", "1122334455667788 ", "invalid page '1122334455667788 ' (leading or trailing "
                                        "whitespace)"),
    ],
    ids=["ref-spaces", "ref-newline", "page-space", "page-id-space"],
)  # fmt: skip
def test_cli_refuses_a_ref_or_page_with_surrounding_whitespace(
    runner: CliRunner, db_path: Path, query: Any, tmp_path: Path, option: str, value: str,
    shown: str,
) -> None:  # fmt: skip
    """Refused with the rule, like any other bad character: it was stripped silently."""
    given = {"--page": "acmebakery", "--ref": "spring", option: value}
    args = [x for pair in given.items() for x in pair]
    res = runner.invoke(cli, ["links", "create", *args, "--channel", "qr",
                              "--out", str(tmp_path / "codes"), "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 1, res.output
    assert isinstance(res.exception, SystemExit)
    assert shown in res.output
    assert not (tmp_path / "codes").exists()
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0


@pytest.mark.parametrize("command", ["create", "import"])
def test_a_redirect_address_with_a_password_is_refused_before_anything_is_written(
    command: str, tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    """`--via-redirect https://user:pw@host` was taken: the password was in every code."""
    out = tmp_path / "codes"
    base = ["--via-redirect", "https://ops:s3cret@go.example", "--out", str(out),
            "--db", str(db_path)]  # fmt: skip
    if command == "import":  # said once, not once per row
        rows = ["acmebakery,window,qr,,,", "acmebakery,door,qr,,,", "acmebakery,till,link,,,"]
        csv_file = write_csv(tmp_path / "flyers.csv", rows)
        res = runner.invoke(cli, ["links", "import", str(csv_file), *base])
        assert res.output.count("invalid redirect address") == 1, res.output
    else:
        res = runner.invoke(cli, ["links", "create", "--page", "acmebakery", "--ref", "window",
                                  "--channel", "qr", *base])  # fmt: skip
    assert res.exit_code == 1, res.output
    assert "invalid redirect address 'https://…@go.example' (a user name or password before " \
        "'@'): a redirect address holds no user name or password" in res.output  # fmt: skip
    assert "s3cret" not in res.output
    assert not out.exists()
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0


@pytest.mark.parametrize("command", ["create", "import"])
@pytest.mark.parametrize("host", ["go..example", ".example", "xn--a.example"])
def test_a_redirect_address_whose_host_no_lookup_takes_is_refused_before_anything_is_written(
    command: str, host: str, tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    """`--via-redirect https://go..example` was taken: every code printed led nowhere."""
    out = tmp_path / "codes"
    base = ["--via-redirect", f"https://{host}", "--out", str(out), "--db", str(db_path)]
    res = create_or_import_window(runner, command, tmp_path, base)
    assert res.exit_code == 1, res.output
    assert f"Error: invalid redirect address 'https://{host}': it has a host that is no valid " \
        "host name" in res.output  # fmt: skip
    assert not out.exists()
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0


@pytest.mark.parametrize("command", ["create", "import", "qr"])
def test_an_out_that_cannot_be_written_is_refused_before_registering(
    command: str, tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    out = ["--out", str(blocker / "codes"), "--db", str(db_path)]
    if command == "qr":
        con = db.connect(db_path)
        try:
            links.register(con, [links.make_link("acmebakery", "window", "qr")])
        finally:
            con.close()
        res = runner.invoke(cli, ["links", "qr", "window", *out])
    elif command == "import":
        csv_file = write_csv(tmp_path / "flyers.csv", ["acmebakery,window,qr,,,"])
        res = runner.invoke(cli, ["links", "import", str(csv_file), *out])
    else:
        res = runner.invoke(
            cli, ["links", "create", "--page", "acmebakery", "--ref", "window", "--channel", "qr",
                  *out],
        )  # fmt: skip
    assert res.exit_code == 1, res.output
    assert isinstance(res.exception, SystemExit)  # a message, not a traceback
    assert "cannot write codes to" in res.output
    assert "--out must be a directory refscope can create and write to" in res.output
    assert query.scalar("SELECT count(*) FROM tracked_links") == (command == "qr")


@pytest.mark.parametrize(("level", "most"), [("H", "1,273"), ("M", "2,331")])
def test_a_url_too_long_for_any_qr_code_is_refused_with_the_rule(
    tmp_path: Path, runner: CliRunner, db_path: Path, level: str, most: str
) -> None:
    """A long redirect address made a URL no QR code version holds: a traceback from the
    encoder ("Invalid version (was 41 ...)"), in the CLI and on the Create links page."""
    base = "https://go.example.com/" + "a" * 2400
    res = runner.invoke(cli, ["links", "create", "--page", "acmebakery", "--ref", "x",
                              "--channel", "qr", "--via-redirect", base, "--error-correction",
                              level, "--out", str(tmp_path), "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 1, res.output
    assert f"bytes: a QR code at error correction {level} holds at most {most}; shorten the " \
        "redirect address" in res.output  # fmt: skip
    assert isinstance(res.exception, SystemExit)  # a refusal, not the encoder's ValueError
    assert list(tmp_path.glob("*.png")) == []
    con = db.connect(db_path, read_only=True)
    try:
        assert links.list_links(con) == []
    finally:
        con.close()


@pytest.mark.parametrize(
    ("given", "named"),
    [
        (["--out", "codes"], "--out is"),
        (["--logo", "LOGO"], "--logo is"),
        (["--fg", "navy", "--error-correction", "H"], "--error-correction, --fg are"),
        (["--channel", "link", "--box-size", "20", "--border", "2"], "--box-size, --border are"),
    ],
    ids=["out", "logo", "fg-level", "size-border"],
)
def test_qr_options_given_with_a_plain_link_say_that_no_code_was_written(
    runner: CliRunner, db_path: Path, query: Any, tmp_path: Path, given: list[str], named: str
) -> None:
    """`links create --ref window --out print/ --logo logo.png` (no --channel qr) registered an
    m.me link, printed its URL and wrote no code, without a word (as `links import` says of a
    file without qr rows): the user looked for a code that was never made."""
    logo = tmp_path / "logo.png"
    logo.write_bytes(small_logo())
    args = [str(tmp_path / "codes") if a == "codes" else str(logo) if a == "LOGO" else a
            for a in given]  # fmt: skip
    res = runner.invoke(
        cli, ["links", "create", "--page", "acmebakery", "--ref", "window", *args,
              "--db", str(db_path)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert res.stdout == "https://m.me/acmebakery?ref=window\n"
    assert res.stderr == (
        f"(no QR code was written: {named} for a QR code, --channel qr; an m.me link gets none)\n"
    )
    assert query.scalar("SELECT channel FROM tracked_links") == "m_me_link"
    assert not (tmp_path / "codes").exists()


def test_a_plain_link_with_the_default_qr_options_says_nothing_of_a_code(
    runner: CliRunner, db_path: Path
) -> None:
    """The defaults (--out ., --box-size 10, ...) are no option given."""
    res = runner.invoke(
        cli, ["links", "create", "--page", "acmebakery", "--ref", "window", "--db", str(db_path)]
    )
    assert res.exit_code == 0, res.output
    assert res.stdout == "https://m.me/acmebakery?ref=window\n"
    assert res.stderr == ""


def small_logo() -> bytes:
    """A small PNG logo."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 40), "navy").save(buf, format="PNG")
    return buf.getvalue()


LONG_BASE = "https://go.example.com/" + "a" * 2400  # no QR code holds a URL of it


@pytest.mark.parametrize("refusal", ["ref-conflict", "url-too-long", "db-unusable"])
def test_a_refused_qr_create_leaves_no_out_folder(
    refusal: str, tmp_path: Path, runner: CliRunner, db_path: Path, query: Any
) -> None:
    """`links create --channel qr --out DIR` refused after --out was checked (the ref means
    something else for the page, a URL no code holds, a --db it cannot use) left DIR made and
    empty: a refused command now leaves no folder it made, and a folder it found stays."""
    runner.invoke(cli, ["links", "create", "--page", "acmebakery", "--ref", "window",
                        "--db", str(db_path)])  # fmt: skip
    (tmp_path / "a-file").write_text("not a directory")
    args = {
        "ref-conflict": ["--ref", "window", "--db", str(db_path)],
        "url-too-long": ["--ref", "door", "--via-redirect", LONG_BASE, "--db", str(db_path)],
        "db-unusable": ["--ref", "door", "--db", str(tmp_path / "a-file" / "x.duckdb")],
    }
    found = tmp_path / "found"
    found.mkdir()
    for out in (tmp_path / "print" / "codes", found):
        res = runner.invoke(cli, ["links", "create", "--page", "acmebakery", "--channel", "qr",
                                  *args[refusal], "--out", str(out)])  # fmt: skip
        assert res.exit_code == 1, res.output
        assert isinstance(res.exception, SystemExit)  # a refusal, not a traceback
    assert not (tmp_path / "print").exists()
    assert found.is_dir() and list(found.iterdir()) == []
    assert query("SELECT ref, channel FROM tracked_links") == [("window", "m_me_link")]
