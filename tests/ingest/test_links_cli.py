"""`refscope links create, import, qr and list`: codes and a print sheet written, bad refs and an
--out it cannot write refused, the registered URL kept, and reading beside a reader."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from ingest import db, links
from ingest.cli import cli
from tests.ingest.cli_setup import _clean_env, _held
from tests.ingest.links_setup import decode, svg_to_png


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("page,ref,channel,campaign,placement,notes\n" + "\n".join(rows) + "\n")
    return path


def test_import_is_all_or_nothing_and_names_each_bad_row(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    csv_file = write_csv(
        tmp_path / "flyers.csv",
        [
            "acmebakery,store_1,qr,spring,store 1,",
            "acme,store_2,qr,spring,store 2,",
            "acmebakery,bad ref,qr,spring,store 3,",
            "acmebakery,store_1,qr,spring,store 1 again,",
        ],
    )
    res = runner.invoke(cli, ["links", "import", str(csv_file), "--db", str(db_path)])
    assert res.exit_code != 0
    assert "line 3: invalid page 'acme'" in res.output
    assert "line 4: invalid ref 'bad ref'" in res.output
    assert "line 5: ref 'store_1' for page 'acmebakery' is on line 2 with placement" in res.output
    assert query.scalar("SELECT count(*) FROM tracked_links") == 0


def test_import_writes_codes_and_a_print_sheet(
    tmp_path: Path, runner: CliRunner, query: Any, db_path: Path
) -> None:
    rows = [f"acmebakery,store_{i},qr,spring,Store {i},window" for i in range(1, 15)]
    csv_file = write_csv(tmp_path / "flyers.csv", rows)
    out = tmp_path / "codes"
    res = runner.invoke(
        cli, ["links", "import", str(csv_file), "--out", str(out), "--db", str(db_path)]
    )
    assert res.exit_code == 0, res.output
    assert query.scalar("SELECT count(*) FROM tracked_links WHERE channel = 'qr_code'") == 14
    for i in (1, 14):
        assert decode((out / f"store_{i}.png").read_bytes()).endswith(f"ref=store_{i}")
        assert decode(svg_to_png((out / f"store_{i}.svg").read_bytes())).endswith(f"ref=store_{i}")
    reader = PdfReader(out / "print-sheet.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == 2  # 9 cells a page
    assert "store_1" in text and "store_14" in text and "spring / Store 7" in text


def test_links_qr_regenerates_a_registered_code(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    args = ["--db", str(db_path)]
    create = ["links", "create", "--page", "acmebakery", "--ref", "flyer", "--channel", "qr"]
    res = runner.invoke(cli, [*create, "--out", str(tmp_path / "first"), *args])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["links", "qr", "flyer", "--out", str(tmp_path), *args])
    assert res.exit_code == 0, res.output
    assert decode((tmp_path / "flyer.png").read_bytes()) == "https://m.me/acmebakery?ref=flyer"
    res = runner.invoke(cli, ["links", "qr", "nobody", *args])
    assert res.exit_code != 0 and "not registered" in res.output


def test_links_qr_refuses_a_ref_registered_as_a_link_with_the_rule(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    """A code printed for an m.me link's ref would count its scans as link clicks: `links qr`
    wrote one for any registered ref."""
    args = ["--db", str(db_path)]
    res = runner.invoke(cli, ["links", "create", "--page", "acmebakery", "--ref", "bio_link",
                              *args])  # fmt: skip
    assert res.exit_code == 0, res.output
    out = tmp_path / "codes"
    res = runner.invoke(cli, ["links", "qr", "bio_link", "--out", str(out), *args])
    assert res.exit_code == 1, res.output
    assert isinstance(res.exception, SystemExit)  # a message, not a traceback
    assert "ref 'bio_link' is registered for page 'acmebakery' as an m.me link, not a QR " \
        "code: a QR code is for a ref registered with channel qr" in res.output  # fmt: skip
    assert not out.exists()  # refused before the folder is made


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


def test_links_qr_and_create_again_keep_the_registered_redirect_url(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    args = ["--db", str(db_path)]
    create = ["links", "create", "--page", "acmebakery", "--ref", "flyer", "--channel", "qr"]
    redirect = "https://go.example/r/flyer?page=acmebakery&qr=1"
    res = runner.invoke(cli, [*create, "--via-redirect", "https://go.example", *args,
                              "--out", str(tmp_path / "first")])  # fmt: skip
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["links", "qr", "flyer", "--out", str(tmp_path / "again"), *args])
    assert res.exit_code == 0, res.output
    assert decode((tmp_path / "again" / "flyer.png").read_bytes()) == redirect
    assert decode(svg_to_png((tmp_path / "again" / "flyer.svg").read_bytes())) == redirect
    # The same link made again without --via-redirect: a no-op whose code still counts scans.
    res = runner.invoke(cli, [*create, "--out", str(tmp_path / "third"), *args])
    assert res.exit_code == 0, res.output
    assert decode((tmp_path / "third" / "flyer.png").read_bytes()) == redirect
    assert res.stdout.strip() == redirect
    assert "the registered URL is kept, not https://m.me/acmebakery?ref=flyer" in res.output


def test_links_import_says_which_links_keep_their_registered_url(
    tmp_path: Path, runner: CliRunner, db_path: Path
) -> None:
    """Imported again with --via-redirect, links registered before kept their m.me URL (and
    their codes encoded it, so scans went uncounted) without a word; `links create` says so."""
    csv_file = write_csv(
        tmp_path / "flyers.csv", ["acmebakery,window,qr,,,", "acmebakery,till,link,,,"]
    )
    res = runner.invoke(cli, ["links", "import", str(csv_file), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    more = write_csv(tmp_path / "more.csv", ["acmebakery,window,qr,,,", "acmebakery,till,link,,,",
                                             "acmebakery,door,qr,,,"])  # fmt: skip
    res = runner.invoke(cli, ["links", "import", str(more), "--via-redirect", "https://go.example",
                              "--out", str(tmp_path / "codes"), "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "registered 1 new link (2 already there)" in res.stdout
    assert "(2 links registered before keep their registered URL, not the one this import " \
        "gives: window, till; see `refscope links list`)" in res.stderr  # fmt: skip
    assert decode((tmp_path / "codes" / "window.png").read_bytes()) == \
        "https://m.me/acmebakery?ref=window"  # fmt: skip
    # Nothing kept, nothing said.
    res = runner.invoke(cli, ["links", "import", str(csv_file), "--db", str(db_path)])
    assert res.exit_code == 0 and "registered URL" not in res.output, res.output


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
    if command == "import":
        csv_file = write_csv(tmp_path / "flyers.csv", ["acmebakery,window,qr,,,"])
        res = runner.invoke(cli, ["links", "import", str(csv_file), *base])
    else:
        res = runner.invoke(cli, ["links", "create", "--page", "acmebakery", "--ref", "window",
                                  "--channel", "qr", *base])  # fmt: skip
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


def test_links_list_piped_prints_whole_values(runner: CliRunner, db_path: Path) -> None:
    long_ref = "newsletter_" + "x" * 80
    url = f"https://go.example/r/{long_ref}?page=acmebakery&qr=0"
    args = ["--page", "acmebakery", "--ref", long_ref, "--campaign", "Spring  Sale"]
    res = runner.invoke(cli, ["links", "create", *args, "--via-redirect", "https://go.example",
                              "--db", str(db_path)])  # fmt: skip
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["links", "list", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    header, row = res.output.splitlines()
    assert header.split("\t") == ["ref", "page", "channel", "campaign", "placement", "url",
                                  "created"]  # fmt: skip
    assert row.split("\t")[:6] == [long_ref, "acmebakery", "m_me_link", "Spring  Sale", "", url]


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _on_a_terminal(*args: str, cwd: Path, columns: int = 80) -> str:
    """refscope's output on a real pseudo-terminal `columns` wide (both the terminal's size and
    COLUMNS say so), colours and styles stripped."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = _clean_env({"COLUMNS": str(columns), "LINES": "24", "TERM": "xterm-256color"})
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from dashboard.cli import main; main()", *args],
        cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower,
    )  # fmt: skip
    os.close(follower)
    out = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], deadline - time.monotonic())
            if not ready:
                break
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(leader)
        code = proc.wait(timeout=10)
    assert code == 0, out.decode(errors="replace")
    return ANSI.sub("", out.decode()).replace("\r\n", "\n")


def test_links_list_on_an_80_column_terminal_folds_long_values_whole(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """A ref or URL wider than its column is folded onto more lines, never cut with "…": all
    of it is on the screen, to be copied."""
    long_ref = "newsletter_" + "x" * 80 + "_end"
    url = f"https://go.example/r/{long_ref}?page=acmebakery&qr=0"
    args = ["--page", "acmebakery", "--ref", long_ref, "--via-redirect", "https://go.example"]
    res = runner.invoke(cli, ["links", "create", *args, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    screen = _on_a_terminal("links", "list", "--db", str(db_path), cwd=tmp_path)
    assert "…" not in screen, screen
    assert "\t" not in screen  # the table, not the piped tab-separated lines
    lines = screen.splitlines()
    assert lines and all(len(line) <= 80 for line in lines), screen
    rows = [line.split("│")[1:-1] for line in lines if line.startswith("│")]
    assert {len(cells) for cells in rows} == {7}, screen
    ref_parts = [cells[0].strip() for cells in rows if cells[0].strip()]
    url_parts = [cells[5].strip() for cells in rows if cells[5].strip()]
    assert len(ref_parts) > 1 and len(url_parts) > 1, screen  # folded, at 80 columns
    assert "".join(ref_parts) == long_ref
    assert "".join(url_parts) == url
    assert "".join(cells[1].strip() for cells in rows) == "acmebakery"


def test_links_list_on_a_terminal_shows_brackets_as_typed(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    """A campaign or placement in square brackets is text, not rich markup: "[/x]" was a
    MarkupError traceback, "[b]window" showed as a bold "window"."""
    args = ["--page", "acmebakery", "--ref", "flyer", "--campaign", "[/x][b]Q1",
            "--placement", "[b]window"]  # fmt: skip
    res = runner.invoke(cli, ["links", "create", *args, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    screen = _on_a_terminal("links", "list", "--db", str(db_path), cwd=tmp_path)
    rows = [line.split("│")[1:-1] for line in screen.splitlines() if line.startswith("│")]
    assert rows, screen
    assert "".join(cells[3].strip() for cells in rows) == "[/x][b]Q1"
    assert "".join(cells[4].strip() for cells in rows) == "[b]window"


def test_links_list_and_qr_only_read_so_they_run_beside_a_reader(
    runner: CliRunner, db_path: Path, tmp_path: Path
) -> None:
    args = ["--page", "acmebakery", "--ref", "flyer", "--channel", "qr", "--out", str(tmp_path)]
    res = runner.invoke(cli, ["links", "create", *args, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    # Another process holds the file open read-only (a dashboard's query, say) until both
    # commands are done: a writer would have to wait for it.
    with _held(db_path, read_only=True):
        res = runner.invoke(cli, ["links", "list", "--db", str(db_path)])
        assert res.exit_code == 0 and "flyer" in res.output, res.output
        out = tmp_path / "again"
        res = runner.invoke(cli, ["links", "qr", "flyer", "--out", str(out), "--db", str(db_path)])
        assert res.exit_code == 0, res.output
        assert (out / "flyer.png").is_file()


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
